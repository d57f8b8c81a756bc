"""Closing the loop: unhappy responses open one follow-up each and count as complaints; alerts
reach their receivers signed, once, retried until they are taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

import aggregator
import web_survey
from ops.webhooks import deliver_due
from survey_core.complaints.store import record_complaint
from survey_core.follow_ups.store import drain_queue
from survey_core.settings import DEV_SECRETS, WorkerSettings
from tests.pipeline import fold
from tests.standins import standin

SECRET = DEV_SECRETS["WEBHOOK_SECRET"]


@pytest.fixture
def web(config):

    return web_survey.create_app(config).test_client()


@pytest.fixture
def reports(config):
    return aggregator.create_app(config).test_client()


def answered(web, writer, interaction: str, csat: int, nps: int, reason: str = "billing") -> None:
    body = {
        "channel": "chat",
        "interaction_id": interaction,
        "agent": "A1",
        "team": "north",
        "reason": reason,
    }
    token = web.post("/api/v1/invitations", json=body, headers=writer).get_json()["token"]
    answers = {"csat": csat, "nps": nps, "ces": 3, "comment": "Nobody called back."}
    assert (
        web.post("/api/v1/responses", json={"token": token, "answers": answers}).status_code == 201
    )


def settings(config, **extra) -> WorkerSettings:
    return WorkerSettings.from_env({**config, **extra})


def test_an_unhappy_response_opens_one_follow_up_and_one_complaint(web, api_key, db, config):
    writer = api_key("write")
    answered(web, writer, "T1", csat=2, nps=9)
    answered(web, writer, "T2", csat=4, nps=6)
    answered(web, writer, "T3", csat=4, nps=7)  # content
    fold(db)
    fold(db)  # a re-fold queues nothing twice
    worker = settings(config, REASON_CATEGORIES="billing=payment")
    assert drain_queue(db, worker) == 2
    assert drain_queue(db, worker) == 0
    follow_ups = {f["_id"]: f for f in db.follow_ups.find()}
    assert set(follow_ups) == {"chat:T1", "chat:T2"}
    first = follow_ups["chat:T1"]
    assert first["agent"] == "A1" and first["team"] == "north" and first["status"] == "open"
    assert first["scores"] == {"csat": 2, "nps": 9, "ces": 3}
    assert first["comment"] == "Nobody called back."
    assert timedelta(hours=23) < first["due_at"] - datetime.now(UTC) <= timedelta(hours=24)
    complaints = list(db.complaints.find())
    assert {c["_id"] for c in complaints} == {"survey:chat:T1", "survey:chat:T2"}
    assert {c["category_in_force"] for c in complaints} == {"payment"}


def test_a_follow_up_moves_forward_and_resolves_with_a_cause_and_an_action(
    web, reports, api_key, db, config
):
    writer, reader = api_key("write"), api_key("read")
    answered(web, writer, "T1", csat=1, nps=2)
    fold(db)
    drain_queue(db, settings(config))
    path = "/api/v1/follow-ups/chat:T1"
    contacted = reports.patch(path, json={"status": "contacted", "note": "Called."}, headers=writer)
    assert contacted.status_code == 200 and contacted.get_json()["status"] == "contacted"
    bare = reports.patch(path, json={"status": "resolved"}, headers=writer)
    assert bare.status_code == 422 and "root_cause" in bare.get_json()["errors"]
    done = reports.patch(
        path,
        json={"status": "resolved", "root_cause": "Refund delayed", "action_taken": "Refunded"},
        headers=writer,
    )
    assert done.status_code == 200 and done.get_json()["resolved_at"]
    back = reports.patch(path, json={"status": "contacted"}, headers=writer)
    assert back.status_code == 422
    listed = reports.get("/api/v1/follow-ups?status=resolved", headers=reader).get_json()
    assert [f["id"] for f in listed["follow_ups"]] == ["chat:T1"]
    assert (
        reports.patch(
            "/api/v1/follow-ups/nope", json={"status": "contacted"}, headers=writer
        ).status_code
        == 404
    )


def test_the_overdue_list(web, reports, api_key, db, config):
    writer = api_key("write")
    answered(web, writer, "T1", csat=1, nps=2)
    answered(web, writer, "T2", csat=1, nps=2)
    fold(db)
    drain_queue(db, settings(config))
    db.follow_ups.update_one(
        {"_id": "chat:T1"}, {"$set": {"due_at": datetime.now(UTC) - timedelta(hours=1)}}
    )
    overdue = reports.get("/api/v1/follow-ups?overdue=true", headers=api_key("read")).get_json()
    assert [(f["id"], f["overdue"]) for f in overdue["follow_ups"]] == [("chat:T1", True)]


def test_an_alert_is_delivered_once_signed_and_retried_until_taken(db):
    calls = iter(range(100))
    with standin(lambda *_: (503 if next(calls) == 0 else 200, {})) as (url, received):
        when = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
        for i in range(6):  # > 2 within 10 min (notice), > 5 within 30 min (level-1)
            body = {
                "source": "crm",
                "external_id": f"K{i}",
                "category": "login",
                "occurred_at": when,
            }
            record_complaint(db, body, urls=[url + "/alerts"])
        assert db.webhook_deliveries.count_documents({}) == 2  # one per alert, not per level
        assert deliver_due(db, SECRET) == 1  # the other failed (503): retried later
        db.webhook_deliveries.update_many(
            {"due_at": {"$exists": True}}, {"$set": {"due_at": datetime.now(UTC)}}
        )
        assert deliver_due(db, SECRET) == 1
        assert deliver_due(db, SECRET) == 0
    ids = [headers["webhook-id"] for _, _, headers in received]
    assert len(received) == 3 and ids[0] == ids[2] and ids[0] != ids[1]  # the retry: same id
    for _, body, headers in received:
        payload = Webhook(SECRET).verify(body, headers)
        assert payload["type"] in ("alert.opened", "alert.escalated")
        assert payload["data"]["category"] == "login"


def test_complaints_per_agent_and_the_complaint_rate(web, reports, api_key, db, config):
    writer = api_key("write")
    answered(web, writer, "T1", csat=1, nps=2)  # A1 (every answered() contact is agent A1)
    answered(web, writer, "T2", csat=5, nps=10)
    answered(web, writer, "T3", csat=5, nps=10)
    answered(web, writer, "T4", csat=5, nps=9)
    fold(db)
    drain_queue(db, settings(config))
    month = db.complaints.find_one()["month"]
    crm = {"source": "crm", "external_id": "X", "category": "login", "agent": "A2"}
    reports.post(
        "/api/v1/complaints",
        json={**crm, "occurred_at": datetime.now(UTC).isoformat()},
        headers=writer,
    )
    by_agent = reports.get(
        f"/api/v1/complaints/report?month={month}&by=agent", headers=api_key("read")
    ).get_json()
    assert by_agent["complaints"] == 2 and by_agent["surveyed"] == 4 and by_agent["rate"] == 0.5
    rows = {r["value"]: (r["complaints"], r["surveyed"], r["rate"]) for r in by_agent["rows"]}
    assert rows == {"A1": (1, 4, 0.25), "A2": (1, 0, None)}
    by_category = reports.get(
        f"/api/v1/complaints/report?month={month}&by=category", headers=api_key("read")
    ).get_json()
    assert {r["value"]: r["complaints"] for r in by_category["rows"]} == {"general": 1, "login": 1}


def test_an_alert_is_mailed_through_smtp(db):
    from aiosmtpd.controller import Controller

    from ops.webhooks import mail_sender
    from tests.dbserver import free_port

    class Sink:
        def __init__(self) -> None:
            self.messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            self.messages.append(envelope)
            return "250 OK"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        when = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
        for i in range(3):
            body = {
                "source": "crm",
                "external_id": f"M{i}",
                "category": "payment",
                "occurred_at": when,
            }
            record_complaint(db, body, urls=["mailto:lead@example.com"])
        send = mail_sender("127.0.0.1", controller.port, "voc@example.com")
        assert deliver_due(db, SECRET, send) == 1
        assert deliver_due(db, SECRET, send) == 0
    finally:
        controller.stop()
    (envelope,) = sink.messages
    assert envelope.rcpt_tos == ["lead@example.com"]
    text = envelope.content.decode()
    assert "notice alert: payment, 3 complaints within 10 min" in text
