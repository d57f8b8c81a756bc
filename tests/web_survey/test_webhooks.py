"""Response webhooks: signed the Standard Webhooks way, retried with back-off, sent once."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from ops.webhooks import MAX_ATTEMPTS, backoff, deliver_due
from survey_core.settings import DEV_SECRETS
from tests.pipeline import fold
from tests.standins import standin
from tests.web_survey.conftest import GOOD
from web_survey.default_survey import POST_CONTACT

SECRET = DEV_SECRETS["WEBHOOK_SECRET"]


def with_webhook(client, api_key, url: str) -> None:
    survey = {**copy.deepcopy(POST_CONTACT), "webhook_url": url}
    response = client.put("/api/v1/surveys/post-contact", json=survey, headers=api_key("admin"))
    assert response.status_code == 200, response.get_json()


def answer(client, invite, interaction: str) -> None:
    token = invite(interaction)["token"]
    assert (
        client.post("/api/v1/responses", json={"token": token, "answers": GOOD}).status_code == 201
    )


def test_a_completed_response_is_delivered_once_signed(client, invite, db, api_key):
    with standin(lambda *_: (204, {})) as (url, received):
        with_webhook(client, api_key, url + "/hooks")
        answer(client, invite, "T1")
        fold(db)
        fold(db)  # a re-fold adds no second delivery
        assert deliver_due(db, SECRET) == 1
        assert deliver_due(db, SECRET) == 0
    assert len(received) == 1
    path, body, headers = received[0]
    assert path == "/hooks"
    payload = Webhook(SECRET).verify(body, headers)
    assert payload["type"] == "response.completed"
    assert payload["data"]["interaction_id"] == "T1"
    assert payload["data"]["answers"] == GOOD
    assert headers["webhook-id"].startswith("msg_")


def test_a_failed_delivery_is_retried_later_under_the_same_id(client, invite, db, api_key):
    statuses = iter([500, 200])
    with standin(lambda *_: (next(statuses), {})) as (url, received):
        with_webhook(client, api_key, url)
        answer(client, invite, "T1")
        fold(db)
        assert deliver_due(db, SECRET) == 0
        pending = db.webhook_deliveries.find_one()
        assert pending["attempts"] == 1 and pending["last_status"] == 500
        assert pending["due_at"] > datetime.now(UTC) + timedelta(seconds=20)
        assert deliver_due(db, SECRET) == 0  # not due yet
        db.webhook_deliveries.update_one({}, {"$set": {"due_at": datetime.now(UTC)}})
        assert deliver_due(db, SECRET) == 1
    assert [h["webhook-id"] for _, _, h in received] == [pending["_id"]] * 2
    assert json.loads(received[0][1]) == json.loads(received[1][1])


def test_an_unreachable_receiver_is_given_up_after_the_last_attempt(client, invite, db, api_key):
    with_webhook(client, api_key, "http://127.0.0.1:9/nothing-listens")
    answer(client, invite, "T1")
    fold(db)
    for _ in range(MAX_ATTEMPTS):
        db.webhook_deliveries.update_one({}, {"$set": {"due_at": datetime.now(UTC)}})
        deliver_due(db, SECRET)
    gave_up = db.webhook_deliveries.find_one()
    assert gave_up["attempts"] == MAX_ATTEMPTS and "failed_at" in gave_up
    assert "due_at" not in gave_up


def test_the_back_off_doubles_up_to_six_hours():
    waits = [backoff(n).total_seconds() for n in (1, 2, 3, 20)]
    assert 27 <= waits[0] <= 33 and 54 <= waits[1] <= 66 and 108 <= waits[2] <= 132
    assert 6 * 3600 * 0.9 <= waits[3] <= 6 * 3600 * 1.1


def test_surveys_without_a_webhook_deliver_nothing(client, invite, db):
    answer(client, invite, "T1")
    fold(db)
    assert db.webhook_deliveries.count_documents({}) == 0
