"""Free text encrypted at rest under FIELD_ENCRYPTION_KEY: comments, transcripts and recording
URLs are ciphertext in events, records and follow-ups, plaintext where they are shown or
exported, re-encrypted by key rotation; without a key everything is stored as given."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

import aggregator
import ivr_survey
import training_survey
import web_survey
from ops.cli import main
from ops.webhooks import deliver_due
from survey_core import sealing
from survey_core.follow_ups.store import drain_queue
from survey_core.months import month_of
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.sealing import Keyring, SealedError
from survey_core.settings import DEV_SECRETS, ConfigError, Settings, WorkerSettings
from survey_core.storage.breaker import breaker
from tests.aggregator.test_dashboard import sign_in
from tests.ivr_survey.twilio_sim import Call
from tests.pipeline import fold
from tests.standins import standin
from tests.training_survey.conftest import RATINGS
from web_survey.default_survey import POST_CONTACT

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
COMMENT = "Nobody called back, 没人回电话."
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32
SPOKEN = "the agent was rude"


def everything(db) -> str:
    return json.dumps(
        {name: list(db[name].find()) for name in db.list_collection_names()},
        default=str,
        ensure_ascii=False,
    )


@pytest.fixture
def keyed(config):
    return {**config, "FIELD_ENCRYPTION_KEY": OLD}


def web_answer(web, writer, interaction: str, answers: dict) -> str:
    body = {"channel": "chat", "interaction_id": interaction, "agent": "A1", "team": "north"}
    token = web.post("/api/v1/invitations", json=body, headers=writer).get_json()["token"]
    posted = web.post("/api/v1/responses", json={"token": token, "answers": answers})
    assert posted.status_code == 201, posted.get_json()
    return token


def ivr_call(config) -> Call:
    breaker.reset()
    call = Call(ivr_survey.create_app(config).test_client(), query="lang=en-US&agent=A7")
    call.start()
    # csat 1, nps 3, the low-score reason they open (2), ces 5, then yes: record a comment
    for digits in ("1", "3", "2", "5", "1"):
        call.press(digits)
    return call


def test_a_web_comment_is_ciphertext_at_rest_and_plaintext_where_shown(keyed, db, api_key):

    web = web_survey.create_app(keyed).test_client()
    with standin(lambda *_: (204, {})) as (url, received):
        survey = {**copy.deepcopy(POST_CONTACT), "webhook_url": url + "/hooks"}
        assert (
            web.put("/api/v1/surveys/post-contact", json=survey, headers=api_key("admin"))
        ).status_code == 200
        web_answer(web, api_key("write"), "T1", {"csat": 1, "nps": 2, "ces": 5, "comment": COMMENT})
        fold(db)
        assert sealing.is_sealed(db.followup_queue.find_one()["comment"])
        assert drain_queue(db, WorkerSettings.from_env(keyed)) == 1
        secret = DEV_SECRETS["WEBHOOK_SECRET"]
        assert deliver_due(db, secret, keyring=sealing.of(Settings.from_env(keyed))) == 1
    stored = everything(db)
    assert COMMENT not in stored and "Nobody" not in stored
    record = db.responses.find_one({"_id": "chat:T1"})
    assert sealing.is_sealed(record["answers"]["comment"])
    assert sealing.is_sealed(db.follow_ups.find_one()["comment"])
    assert json.loads(received[0][1])["data"]["answers"]["comment"] == COMMENT
    reports = aggregator.create_app(keyed).test_client()
    shown = reports.get("/api/v1/follow-ups", headers=api_key("read")).get_json()
    assert shown["follow_ups"][0]["comment"] == COMMENT
    exported = reports.post(
        "/api/v1/privacy/requests",
        json={"action": "export", "subject": {"interaction_id": "T1", "channel": "chat"}},
        headers=api_key("admin"),
    ).get_json()
    assert COMMENT in json.dumps(exported["data"], ensure_ascii=False)
    assert '"enc"' not in json.dumps(exported["data"])
    sign_in(reports, api_key("read")["Authorization"][7:])
    month = month_of(datetime.now(UTC), Settings.from_env(keyed).tz)
    page = reports.get(f"/dashboard?month={month}").get_data(as_text=True)
    assert "Nobody called back" in page and "enc" not in page.split('id="comments"')[1][:2000]


def test_a_draft_comment_comes_back_in_clear_on_the_form(keyed, db, api_key):

    web = web_survey.create_app(keyed).test_client()
    body = {"channel": "chat", "interaction_id": "T2", "agent": "A1"}
    token = web.post("/api/v1/invitations", json=body, headers=api_key("write")).get_json()["token"]
    saved = web.patch("/api/v1/responses", json={"token": token, "answers": {"comment": COMMENT}})
    assert saved.status_code == 200, saved.get_json()
    assert COMMENT not in everything(db)
    again = web.get(f"/api/v1/responses/{token}").get_json()
    assert again["answers"]["comment"] == COMMENT


def test_a_recording_url_and_its_transcript_are_ciphertext_at_rest(keyed, db, api_key):
    call = ivr_call(keyed)
    transcribed = call.twiml.find("Record").get("transcribeCallback")
    call.record(RECORDING, 9)
    call.hang_up()
    call.post(transcribed, {"TranscriptionText": SPOKEN, "TranscriptionStatus": "completed"})
    fold(db)
    assert drain_queue(db, WorkerSettings.from_env(keyed)) == 1
    stored = everything(db)
    assert RECORDING not in stored and "RE" + "a" * 32 not in stored and SPOKEN not in stored
    answer = db.responses.find_one({"_id": "ivr:CA0001"})["answers"]["comment"]
    assert answer["duration"] == 9 and sealing.is_sealed(answer["url"])
    assert sealing.is_sealed(db.follow_ups.find_one()["comment"])
    reports = aggregator.create_app(keyed).test_client()
    sign_in(reports, api_key("read")["Authorization"][7:])
    month = month_of(datetime.now(UTC), Settings.from_env(keyed).tz)
    page = reports.get(f"/dashboard?month={month}").get_data(as_text=True)
    # Opened for the page, it plays through the dashboard (Twilio's address never shown).
    assert 'href="/dashboard/recordings/ivr/comment/CA0001"' in page and SPOKEN in page
    assert RECORDING not in page
    shown = reports.get("/api/v1/follow-ups", headers=api_key("read")).get_json()
    assert shown["follow_ups"][0]["comment"] == SPOKEN


def test_a_replayed_recording_is_a_duplicate_not_a_conflict(keyed, db, caplog):
    call = ivr_call(keyed)
    call.record(RECORDING, 9)
    with caplog.at_level(logging.WARNING, logger="voc.events"):
        call.replay()
    assert "refused" not in caplog.text
    assert db.events.count_documents({"kind": "answer", "key": "comment"}) == 1


@pytest.mark.parametrize("first", [OLD, NEW])
def test_a_resubmitted_answer_sealed_again_is_a_duplicate_and_a_different_one_a_conflict(db, first):
    meta = {"channel": "chat", "interaction_id": "T9", "survey": "post-contact", "version": 1}
    qtypes = {"csat": "csat", "comment": "text"}

    def submission(comment: str) -> dict:
        return events.event(
            Kind.SUBMIT, meta, answers={"csat": 4, "comment": comment}, qtypes=qtypes
        )

    assert events.insert(db, submission(COMMENT), Keyring([OLD])) == "stored"
    rotated = Keyring([first, OLD])  # a replay after rotation is sealed under the new key
    assert events.insert(db, submission(COMMENT), rotated) == "duplicate"
    assert events.insert(db, submission(COMMENT + "!"), rotated) == "conflict"


def test_training_session_comments_are_sealed_and_shown_in_clear(keyed, db, api_key):
    from tests.training_survey.conftest import evaluate

    client = training_survey.create_app(keyed).test_client()
    admin, writer = api_key("admin"), api_key("write")
    trainer = {"id": "TR1", "name": "Li Wei", "team": "onboarding"}
    assert client.post("/api/v1/trainers", json=trainer, headers=admin).status_code == 201
    body = {
        "trainer_id": "TR1",
        "topic": "Handling refunds",
        "held_at": "2026-10-15T09:00:00+08:00",
        "language": "en-US",
        "trainees": ["u1", "u2", "u3"],
    }
    session = client.post("/api/v1/sessions", json=body, headers=writer).get_json()
    for link, comment in zip(session["links"], ("Clear 清楚", "Slow", "Kind"), strict=True):
        assert evaluate(client, link["token"], {**RATINGS, "comment": comment}).status_code == 201
    fold(db)
    stored = everything(db)
    assert "Clear 清楚" not in stored and "Slow" not in stored
    closed = client.post(f"/api/v1/sessions/{session['session_id']}/close", headers=writer)
    assert closed.get_json()["comments"] == ["Clear 清楚", "Kind", "Slow"]


def test_a_monitor_comment_is_sealed(keyed, db, api_key):
    reports = aggregator.create_app(keyed).test_client()
    body = {
        "interaction_id": "T1",
        "channel": "chat",
        "agent": "A1",
        "monitor_id": "M1",
        "scored_at": "2026-10-15T09:00:00+08:00",
        "form": {"id": "f", "version": 1},
        "items": [{"key": "greeting", "score": 8, "max": 10, "weight": 1}],
        "comment": "Forgot to greet",
    }
    posted = reports.post("/api/v1/monitor-scores", json=body, headers=api_key("write"))
    assert posted.status_code == 201, posted.get_json()
    assert "Forgot" not in everything(db)
    assert sealing.of(Settings.from_env(keyed)).open(db.monitor_scores.find_one()["comment"]) == (
        "Forgot to greet"
    )


def test_reports_are_the_same_with_and_without_the_key(config, db, api_key):
    figures = []
    for i, settings in enumerate((config, {**config, "FIELD_ENCRYPTION_KEY": OLD})):
        web = web_survey.create_app(settings).test_client()
        writer = api_key("write")
        for j, csat in enumerate((5, 4, 2)):
            answers = {"csat": csat, "nps": 9, "ces": 2, "comment": f"c{j}"}
            web_answer(web, writer, f"R{i}-{j}", answers)
        fold(db)
        rollup = db.rollups.find_one({"dim": "all", "value": "*"})
        figures.append(rollup["csat"])
    assert figures == [{"5": 1, "4": 1, "2": 1}, {"5": 2, "4": 2, "2": 2}]


def test_without_a_key_free_text_is_stored_as_given(config, db, api_key):

    web = web_survey.create_app(config).test_client()
    web_answer(web, api_key("write"), "T1", {"csat": 5, "nps": 9, "ces": 2, "comment": COMMENT})
    fold(db)
    assert db.responses.find_one({"_id": "chat:T1"})["answers"]["comment"] == COMMENT


def test_rotation_reseals_under_the_new_key_and_the_old_key_can_go(config, db, api_key):

    web = web_survey.create_app({**config, "FIELD_ENCRYPTION_KEY": OLD}).test_client()
    web_answer(web, api_key("write"), "T1", {"csat": 1, "nps": 2, "ces": 5, "comment": COMMENT})
    fold(db)
    both = Keyring([NEW, OLD])
    sealed = db.responses.find_one({"_id": "chat:T1"})["answers"]["comment"]
    assert both.open(sealed) == COMMENT  # read after adding a new first key
    with pytest.raises(SealedError):
        Keyring([NEW]).open(sealed)
    env = {**{k: str(v) for k, v in config.items()}, "FIELD_ENCRYPTION_KEY": f"{NEW},{OLD}"}
    ran = CliRunner().invoke(main, ["privacy", "rotate-key", "--batch", "2"], env=env)
    assert ran.exit_code == 0, ran.output
    assert "responses 1" in ran.output and "events 1" in ran.output
    only_new = Keyring([NEW])  # the old key dropped: everything still reads
    assert only_new.open(db.responses.find_one({"_id": "chat:T1"})["answers"]["comment"]) == (
        COMMENT
    )
    submit = db.events.find_one({"kind": "submit"})
    assert only_new.open(submit["answers"]["comment"]) == COMMENT
    again = CliRunner().invoke(main, ["privacy", "rotate-key"], env=env)
    assert again.exit_code == 0 and "responses 0" in again.output and "events 0" in again.output


def test_a_key_that_is_not_a_fernet_key_is_refused_at_start(config):
    with pytest.raises(ConfigError, match="FIELD_ENCRYPTION_KEY: key 2 is not a Fernet key"):
        Settings.from_env({**config, "FIELD_ENCRYPTION_KEY": f"{OLD},not-a-key"})


@pytest.mark.parametrize("value", ["", "x" * 100_000, "\u202e\U0001f600", '{"enc": "x"}'])
def test_any_text_round_trips(value):
    ring = Keyring([OLD])
    assert ring.open(ring.seal(value)) == value
    assert ring.open(value) == value  # plaintext reads as it is


def test_events_spooled_in_an_outage_are_sealed_and_replay_as_given(keyed, db, tmp_path):
    from pymongo.errors import ServerSelectionTimeoutError

    from survey_core.responses.spool import Spool

    spool = Spool(str(tmp_path / "spool"))
    meta = {"channel": "chat", "interaction_id": "T5", "survey": "post-contact", "version": 1}
    ev = events.event(
        Kind.SUBMIT, meta, answers={"csat": 4, "comment": COMMENT}, qtypes={"comment": "text"}
    )
    breaker.trip(ServerSelectionTimeoutError("down"))
    try:
        assert events.record(db, spool, [ev], Keyring([OLD])) is None
    finally:
        breaker.reset()
    files = list((tmp_path / "spool").rglob("*.json"))
    assert files and all(COMMENT not in f.read_text() for f in files)
    written, left = spool.drain(lambda e: events.insert(db, e, Keyring([NEW, OLD])))
    assert (written, left) == (1, 0)
    stored = db.events.find_one({"kind": "submit"})
    assert Keyring([OLD]).open(stored["answers"]["comment"]) == COMMENT


def _recorded_call(db, interaction: str, ring: Keyring) -> None:
    meta = {
        "channel": "ivr",
        "interaction_id": interaction,
        "survey": "post-call",
        "version": 1,
        "month": "2020-01",
        "started_at": datetime(2020, 1, 5, tzinfo=UTC),
    }
    events.insert(db, events.event(Kind.OPEN, meta, status="in_progress"), ring)
    answer = {"url": RECORDING, "duration": 4}
    ev = events.event(
        Kind.ANSWER, meta, "comment", qtype="recording", value=answer, reached=4, done=True
    )
    events.insert(db, ev, ring)


def test_erasure_finds_a_sealed_recording_at_twilio(keyed, db):
    from ops.worker import survey_lookup
    from survey_core.privacy import requests

    ring = Keyring([OLD])
    _recorded_call(db, "CA7", ring)
    fold(db)
    assert RECORDING not in everything(db)
    deleted: list[str] = []
    erased = requests.erase(
        db,
        requests.Subject(interaction_id="CA7", channel="ivr"),
        "",
        survey_lookup(db),
        deleted.append,
        keyring=ring,
    )
    assert erased["removed"]["recordings"] == 1 and deleted == ["RE" + "a" * 32]


def test_retention_finds_a_sealed_recording_at_twilio(keyed, db):
    from ops.retention import run
    from ops.worker import survey_lookup

    _recorded_call(db, "CA8", Keyring([OLD]))
    fold(db)
    with standin(lambda *_: (204, {})) as (url, received):
        twilio = {"TWILIO_API_BASE_URL": url, "TWILIO_ACCOUNT_SID": "AC1"}
        done = run(db, WorkerSettings.from_env(overrides={**keyed, **twilio}), survey_lookup(db))
    assert done["recordings"] == 1
    assert [p for p, _, _ in received] == [
        "DELETE /2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32 + ".json"
    ]


def test_a_comment_no_key_opens_is_left_out_of_the_page_not_a_500(keyed, db, api_key):

    web = web_survey.create_app(keyed).test_client()
    web_answer(web, api_key("write"), "T1", {"csat": 1, "nps": 2, "ces": 5, "comment": COMMENT})
    fold(db)
    drain_queue(db, WorkerSettings.from_env(keyed))
    lost = {**keyed, "FIELD_ENCRYPTION_KEY": NEW}  # the old key dropped too early
    reports = aggregator.create_app(lost).test_client()
    listed = reports.get("/api/v1/follow-ups", headers=api_key("read"))
    assert listed.status_code == 200 and listed.get_json()["follow_ups"][0]["comment"] is None
    sign_in(reports, api_key("read")["Authorization"][7:])
    month = month_of(datetime.now(UTC), Settings.from_env(keyed).tz)
    assert reports.get(f"/dashboard?month={month}").status_code == 200


@pytest.mark.parametrize("comment", [{"enc": "gAAAA"}, {"url": "https://x"}, ["enc"]])
def test_a_comment_shaped_like_a_sealed_value_is_a_422(keyed, db, api_key, comment):

    web = web_survey.create_app(keyed).test_client()
    body = {"channel": "chat", "interaction_id": "T3", "agent": "A1"}
    token = web.post("/api/v1/invitations", json=body, headers=api_key("write")).get_json()
    answers = {"csat": 5, "nps": 9, "ces": 2, "comment": comment}
    posted = web.post("/api/v1/responses", json={"token": token["token"], "answers": answers})
    assert posted.status_code == 422 and "comment" in json.dumps(posted.get_json()["errors"])
