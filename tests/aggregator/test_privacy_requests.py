"""Access and erasure on request: a subject with data on every channel is exported whole,
then erased everywhere (records, events, invitations, follow-ups, complaints, quality records,
suppression, the spool, recordings at Twilio) while every report's figures stay the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

import aggregator
import web_survey
from ops.cli import main
from survey_core.follow_ups.store import drain_queue
from survey_core.responses.hashing import caller_hash
from survey_core.responses.spool import Spool
from survey_core.rollups.rebuild import rebuild
from survey_core.settings import DEV_SECRETS, WorkerSettings
from tests.pipeline import answered, closed, fold, opened
from tests.standins import standin

PHONE = "+86 138 1234 5678"
EMAIL = "Wang.Fang@Example.com"
ACCOUNT = "AC" + "1" * 32
RECORDING = "RE" + "b" * 32
MONTH = datetime.now(UTC).strftime("%Y-%m")
KEY = DEV_SECRETS["PHONE_HASH_KEY"]


def _deleted(path, body, headers):
    return 204, {}


@pytest.fixture
def stack(config, api_key, db, tmp_path):
    """The subject's traces on every channel; returns the aggregator client and the keys."""
    web = web_survey.create_app(config).test_client()
    writer, admin = api_key("write"), api_key("admin")
    invited = web.post(
        "/api/v1/invitations",
        json={"channel": "email", "interaction_id": "T-77", "agent": "A1", "email": EMAIL},
        headers=writer,
    )
    assert invited.status_code == 201, invited.get_json()
    token = invited.get_json()["token"]
    answers = {"csat": 1, "nps": 2, "ces": 5, "comment": "ring me on 13812345678"}
    assert (
        web.post("/api/v1/responses", json={"token": token, "answers": answers}).status_code == 201
    )
    hashed = caller_hash(PHONE, KEY)
    meta = {
        "channel": "ivr",
        "interaction_id": "CA" + "9" * 32,
        "survey": "post-call",
        "version": 1,
        "month": MONTH,
        "started_at": datetime.now(UTC),
        "agent_id": "A1",
        "team": "north",
        "caller_hash": hashed,
    }
    opened(db, meta)
    answered(db, meta, "csat", 5, reached=1)
    answered(db, meta, "nps", 10, reached=2, qtype="nps")
    answered(db, meta, "ces", 1, reached=3, qtype="ces")
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}"
    answered(db, meta, "comment", {"url": url, "duration": 9}, 4, True, "recording")
    closed(db, meta)
    # A caller who is not the subject, so figures have more than one response in them.
    opened(db, {**meta, "interaction_id": "CA" + "1" * 32, "caller_hash": "someone-else"})
    fold(db)
    drain_queue(db, WorkerSettings.from_env(overrides=config))  # the unhappy e-mail response
    fold(db)
    reports = aggregator.create_app(
        {**config, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_BASE_URL": "http://127.0.0.1:9"}
    ).test_client()
    for monitor, score in (("M1", 4), ("M2", 6)):
        body = {
            "interaction_id": "T-77",
            "channel": "email",
            "agent": "A1",
            "monitor_id": monitor,
            "scored_at": datetime.now(UTC).isoformat(),
            "form": {"id": "f"},
            "items": [{"key": "greeting", "score": score, "max": 10}],
            "comment": "spoke with Wang Fang",
        }
        assert reports.post("/api/v1/monitor-scores", json=body, headers=writer).status_code == 201
    rating = {
        "interaction_id": "T-77",
        "channel": "email",
        "agent": "A1",
        "rating": 5,
        "rated_at": datetime.now(UTC).isoformat(),
    }
    assert reports.post("/api/v1/agent-ratings", json=rating, headers=writer).status_code == 201
    return {"config": config, "admin": admin, "reader": api_key("read"), "hashed": hashed}


def _figures(client, reader) -> dict:
    """Every report the erasure must leave as it was."""
    paths = [
        ("/api/v1/metrics/monthly", {"from": MONTH, "to": MONTH}),
        ("/api/v1/funnel", {"month": MONTH}),
        *[("/api/v1/metrics/breakdown", {"month": MONTH, "by": b}) for b in ("agent", "channel")],
        *[("/api/v1/calibration", {"month": MONTH, "by": b}) for b in ("agent", "monitor")],
        ("/api/v1/complaints/report", {"month": MONTH, "by": "agent"}),
        ("/api/v1/agents/report", {"month": MONTH}),
    ]
    out = {}
    for path, query in paths:
        answer = client.get(path, query_string=query, headers=reader)
        assert answer.status_code == 200, (path, answer.get_json())
        out[f"{path}?{sorted(query.items())}"] = answer.get_json()
    return out


def _everything(db) -> str:
    return json.dumps(
        {name: list(db[name].find()) for name in db.list_collection_names()}, default=str
    )


def test_a_subject_is_exported_then_erased_everywhere_and_reports_stay(stack, db, config, caplog):
    spool = Spool(config["SPOOL_DIR"])
    spool.put({"rid": "email:T-77", "kind": "close", "meta": {"interaction_id": "T-77"}})
    with standin(_deleted) as (twilio, received):
        reports = aggregator.create_app(
            {**config, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_BASE_URL": twilio}
        ).test_client()
        before = _figures(reports, stack["reader"])
        exported = reports.post(
            "/api/v1/privacy/requests",
            json={"action": "export", "subject": {"email": EMAIL}},
            headers=stack["admin"],
        ).get_json()
        assert exported["responses_found"] == 1 and "ring me" in json.dumps(exported["data"])
        assert set(exported["data"]) >= {"responses", "events", "invitations", "follow_ups"}
        for subject in ({"email": EMAIL}, {"phone": "+8613812345678"}):
            erased = reports.post(
                "/api/v1/privacy/requests",
                json={"action": "erase", "subject": subject},
                headers=stack["admin"],
            )
            assert erased.status_code == 200, erased.get_json()
            assert erased.get_json()["responses_found"] == 1
        assert [p for p, _, _ in received] == [
            f"DELETE /2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}.json"
        ]
        after = _figures(reports, stack["reader"])
    assert after == before
    assert rebuild(db, repair=False)["drift"] == []
    everything = _everything(db)
    for trace in ("T-77", "CA" + "9" * 32, EMAIL.lower(), "13812345678", stack["hashed"]):
        assert trace not in everything, trace
    assert "ring me" not in everything and "Wang Fang" not in everything
    assert spool.pending() == []
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "T-77" not in logged and EMAIL not in logged and stack["hashed"] not in logged
    audit = db.audit.find({"action": "POST /api/v1/privacy/requests"})
    assert len(list(audit)) == 3
    assert db.privacy_requests.count_documents({"action": "erase"}) == 2


def test_erasing_again_finds_nothing_and_changes_nothing(stack, db, config):
    env = {k: str(v) for k, v in config.items()}
    env |= {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "t"}
    with standin(_deleted) as (twilio, _):
        env["TWILIO_API_BASE_URL"] = twilio
        first = CliRunner().invoke(main, ["privacy", "erase", "--phone", PHONE], env=env)
        assert first.exit_code == 0, first.output
        snapshot = _everything(db)
        again = CliRunner().invoke(main, ["privacy", "erase", "--phone", PHONE], env=env)
    assert again.exit_code == 0 and json.loads(again.stdout)["responses_found"] == 0
    now, then = json.loads(_everything(db)), json.loads(snapshot)
    assert len(now.pop("audit")) == len(then.pop("audit")) + 1  # the second request's record
    for name in now.keys() - {"fold_state"}:  # the watermark moves on with time alone
        assert now[name] == then.get(name, []), name


def test_a_subject_with_recordings_and_no_twilio_credentials_is_refused(stack, config):
    unset = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""}
    reports = aggregator.create_app({**config, **unset}).test_client()
    refused = reports.post(
        "/api/v1/privacy/requests",
        json={"action": "erase", "subject": {"phone": PHONE}},
        headers=stack["admin"],
    )
    assert refused.status_code == 409 and refused.get_json()["code"] == "recordings_kept"


def test_twilio_out_of_reach_is_a_clear_error_and_erases_nothing_yet(stack, config, db):
    unreachable = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_BASE_URL": "http://127.0.0.1:9"}
    reports = aggregator.create_app({**config, **unreachable}).test_client()
    failed = reports.post(
        "/api/v1/privacy/requests",
        json={"action": "erase", "subject": {"phone": PHONE}},
        headers=stack["admin"],
    )
    assert failed.status_code == 502 and failed.get_json()["code"] == "twilio_unavailable"
    assert db.responses.count_documents({"caller_hash": stack["hashed"]}) == 1


@pytest.mark.parametrize(
    "subject",
    [{}, {"phone": PHONE, "email": EMAIL}, {"trainee_id": "u1"}, {"interaction_id": {"$ne": 1}}],
)
def test_a_request_names_exactly_one_subject(config, api_key, subject):
    reports = aggregator.create_app(config).test_client()
    answer = reports.post(
        "/api/v1/privacy/requests",
        json={"action": "export", "subject": subject},
        headers=api_key("admin"),
    )
    assert answer.status_code == 422


def test_only_admins_make_privacy_requests(config, api_key):
    reports = aggregator.create_app(config).test_client()
    body = {"action": "export", "subject": {"email": EMAIL}}
    assert reports.post("/api/v1/privacy/requests", json=body).status_code == 401
    answer = reports.post("/api/v1/privacy/requests", json=body, headers=api_key("write"))
    assert answer.status_code == 403
