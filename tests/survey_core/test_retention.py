"""Retention: personal data past its period goes (recordings at Twilio and their URLs, free
text, contact hashes, folded raw events); scores and counts stay, a rebuild still equals the
rollups, a second run finds nothing, and a dry run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from ops.cli import main
from ops.retention import run
from ops.worker import survey_lookup
from survey_core.folding.batch import fold_all
from survey_core.rollups.rebuild import rebuild
from survey_core.settings import WorkerSettings
from tests.pipeline import answered, closed, opened, submit
from tests.standins import standin

NOW = datetime.now(UTC)
RECORDING = "RE" + "a" * 32
ACCOUNT = "AC" + "1" * 32


def _call(db, interaction: str, started: datetime) -> None:
    meta = {
        "channel": "ivr",
        "interaction_id": interaction,
        "survey": "post-call",
        "version": 1,
        "month": started.strftime("%Y-%m"),
        "started_at": started,
        "agent_id": "A1",
        "caller_hash": "h-" + interaction,
    }
    opened(db, meta)
    answered(db, meta, "csat", 4, reached=1)
    answered(db, meta, "nps", 9, reached=2, qtype="nps")
    answered(db, meta, "ces", 2, reached=3, qtype="ces")
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}"
    answered(db, meta, "comment", {"url": url, "duration": 7}, 4, True, "recording")
    closed(db, meta)


def _chat(db, interaction: str, started: datetime, comment: str) -> None:
    meta = {
        "channel": "chat",
        "interaction_id": interaction,
        "survey": "post-contact",
        "version": 1,
        "month": started.strftime("%Y-%m"),
        "started_at": started,
        "agent_id": "A2",
    }
    qtypes = {"csat": "csat", "nps": "nps", "ces": "ces", "comment": "text"}
    answers = {"csat": 2, "nps": 3, "ces": 4, "comment": comment}
    submit(db, meta, answers, qtypes)


@pytest.fixture
def settings(config):
    def make(twilio_url: str | None = None, **periods: str) -> WorkerSettings:
        values = {**config, "RETAIN_RECORDINGS_DAYS": "90", "RETAIN_COMMENTS_DAYS": "365"}
        values |= {"RETAIN_EVENTS_DAYS": "30", **periods}
        if twilio_url:
            values |= {"TWILIO_API_BASE_URL": twilio_url, "TWILIO_ACCOUNT_SID": ACCOUNT}
        else:
            values |= {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""}
        return WorkerSettings.from_env(overrides=values)

    return make


def _folded(db) -> None:
    # Fold everything, and let both watermarks pass it.
    fold_all(db, survey_lookup(db), lag_s=0)
    fold_all(db, survey_lookup(db), lag_s=0, watermark="checked")


def _deleted(path, body, headers):
    return 204, {}


def test_old_recordings_go_at_twilio_and_their_urls_with_them(db, settings):
    _call(db, "OLD", NOW - timedelta(days=100))
    _call(db, "NEW", NOW - timedelta(days=10))
    _folded(db)
    before = rebuild(db, repair=False)
    with standin(_deleted) as (url, received):
        done = run(db, settings(url), survey_lookup(db))
    assert done["recordings"] == 1
    assert [path for path, _, _ in received] == [
        f"DELETE /2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}.json"
    ]
    old = db.responses.find_one({"_id": "ivr:OLD"})
    assert "url" not in old["answers"]["comment"] and old["answers"]["comment"]["duration"] == 7
    assert old["scores"] == {"csat": 4, "nps": 9, "ces": 2} and old["status"] == "complete"
    assert "twilio.com" not in str(list(db.events.find({"rid": "ivr:OLD"})))
    assert "url" in db.responses.find_one({"_id": "ivr:NEW"})["answers"]["comment"]
    assert rebuild(db, repair=False)["drift"] == [] == before["drift"]
    with standin(_deleted) as (url, received):
        again = run(db, settings(url), survey_lookup(db))
    assert again["recordings"] == 0 and received == []


def test_without_twilio_credentials_recordings_are_kept(db, settings):
    _call(db, "OLD", NOW - timedelta(days=100))
    _folded(db)
    run(db, settings(), survey_lookup(db))
    assert "url" in db.responses.find_one({"_id": "ivr:OLD"})["answers"]["comment"]


def test_old_comments_and_hashes_go_scores_and_counts_stay(db, settings):
    _chat(db, "OLD", NOW - timedelta(days=400), "call me on 13812345678")
    _chat(db, "NEW", NOW - timedelta(days=5), "fine")
    _call(db, "CALL", NOW - timedelta(days=400))
    _folded(db)
    rollups = sorted(map(str, db.rollups.find({}, {"_id": 1, "csat": 1, "funnel": 1})))
    with standin(_deleted) as (url, _):
        done = run(db, settings(url, RETAIN_EVENTS_DAYS="3650"), survey_lookup(db))
    assert done["free_text"] == 2 and done["contact_hashes"] >= 1  # the comment, its follow-up
    for collection in ("follow_ups", "followup_queue", "events", "responses"):
        assert "13812345678" not in str(list(db[collection].find())), collection
    old = db.responses.find_one({"_id": "chat:OLD"})
    assert old["answers"]["comment"] is None and old["scores"]["csat"] == 2
    assert db.responses.find_one({"_id": "chat:NEW"})["answers"]["comment"] == "fine"
    assert "caller_hash" not in db.responses.find_one({"_id": "ivr:CALL"})
    assert sorted(map(str, db.rollups.find({}, {"_id": 1, "csat": 1, "funnel": 1}))) == rollups
    assert rebuild(db, repair=False)["drift"] == []


def test_folded_events_past_their_period_are_deleted_and_reports_stay(db, settings):
    _chat(db, "OLD", NOW - timedelta(days=40), "ok")
    _folded(db)
    db.events.update_many({}, {"$set": {"at": NOW - timedelta(days=40)}})
    before = rebuild(db, repair=False)
    done = run(db, settings(), survey_lookup(db))
    assert done["events"] >= 1 and db.events.count_documents({}) == 0
    assert db.responses.count_documents({}) == 1
    assert rebuild(db, repair=False)["drift"] == [] == before["drift"]


def test_a_dry_run_counts_and_changes_nothing(config, db):
    _chat(db, "OLD", NOW - timedelta(days=400), "secret")
    _folded(db)
    env = {k: str(v) for k, v in config.items()}
    result = CliRunner().invoke(main, ["privacy", "retention", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "would remove" in result.stdout and "free_text 2" in result.stdout
    assert db.responses.find_one({"_id": "chat:OLD"})["answers"]["comment"] == "secret"
    done = CliRunner().invoke(main, ["privacy", "retention"], env=env)
    assert done.exit_code == 0 and "removed" in done.stdout
    assert db.responses.find_one({"_id": "chat:OLD"})["answers"]["comment"] is None
