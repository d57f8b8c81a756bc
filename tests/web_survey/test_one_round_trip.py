"""A web or training submission with a valid link is one keyed insert on the request path: the
token carries what the submission needs, the worker joins the rest from the invitation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import training_survey
from survey_core.tokens import sign_link
from tests.pipeline import fold
from tests.training_survey.conftest import RATINGS
from tests.web_survey.conftest import GOOD, csrf_of, page_path


def test_a_widget_submission_is_one_insert(client, invite, commands, db):
    token = invite("T1")["token"]
    client.get(f"/api/v1/responses/{token}")  # the survey is in the process's catalog now
    commands.seen.clear()
    response = client.post("/api/v1/responses", json={"token": token, "answers": GOOD})
    assert response.status_code == 201
    assert commands.seen == [("insert", "events")]
    again = client.post("/api/v1/responses", json={"token": token, "answers": GOOD})
    assert again.status_code == 409
    fold(db)  # the worker joins the invitation's dimensions
    record = db.responses.find_one({"_id": "chat:T1"})
    assert record["status"] == "complete" and record["agent_id"] == "A1"
    assert record["month"] and record["expires_at"]


def test_a_page_submission_is_one_insert(client, invite, commands):
    invitation = invite("T2")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    commands.seen.clear()
    form = {"csrf_token": csrf_of(html), "csat": "5", "nps": "9", "ces": "2"}
    assert client.post(page_path(invitation), data=form).status_code == 200
    assert commands.seen == [("insert", "events")]
    assert client.post(page_path(invitation), data=form).status_code == 409


def test_a_token_signed_before_claims_still_submits(app, client, invite, db):
    invitation = invite("T3")
    settings = app.config["SETTINGS"]
    expires = datetime.now(UTC) + timedelta(hours=1)
    old = sign_link(settings.secret_key, "survey", db.invitations.find_one()["_id"], expires)
    response = client.post("/api/v1/responses", json={"token": old, "answers": GOOD})
    assert response.status_code == 201, response.get_json()
    assert invitation["token"] != old


def test_a_closed_sessions_link_is_refused_without_a_read_per_request(
    config, api_key, commands, db
):
    client = training_survey.create_app(config).test_client()
    admin, writer = api_key("admin"), api_key("write")
    client.post("/api/v1/trainers", json={"id": "TR1", "name": "Li Wei"}, headers=admin)
    body = {"trainer_id": "TR1", "topic": "Refunds", "held_at": "2026-10-15T09:00:00+08:00"}
    body.update(language="en-US", trainees=["u1", "u2", "u3", "u4"])
    made = client.post("/api/v1/sessions", json=body, headers=writer).get_json()
    tokens = [link["token"] for link in made["links"]]
    first = client.post("/api/v1/evaluations", json={"token": tokens[0], "answers": RATINGS})
    assert first.status_code == 201
    commands.seen.clear()
    second = client.post("/api/v1/evaluations", json={"token": tokens[1], "answers": RATINGS})
    assert second.status_code == 201
    assert commands.seen == [("insert", "events")]  # the session's state was read moments ago
    path = f"/api/v1/sessions/{made['session_id']}/close"
    assert client.post(path, headers=writer).status_code == 200
    commands.seen.clear()
    for token in tokens[2:]:
        late = client.post("/api/v1/evaluations", json={"token": token, "answers": RATINGS})
        assert late.status_code == 410 and late.get_json()["code"] == "session_closed"
    assert commands.seen == []


def test_an_evaluation_stored_after_its_session_closed_never_counts(config, api_key, db):
    """Another process may take a link for up to its cache's age after the close: the worker
    and the reports leave that evaluation out, so a closed session's figures never move."""
    client = training_survey.create_app(config).test_client()
    other = training_survey.create_app(config).test_client()  # a second process
    admin, writer = api_key("admin"), api_key("write")
    client.post("/api/v1/trainers", json={"id": "TR1", "name": "Li Wei"}, headers=admin)
    body = {"trainer_id": "TR1", "topic": "Refunds", "held_at": "2026-10-15T09:00:00+08:00"}
    body.update(language="en-US", trainees=["u1", "u2", "u3", "u4"])
    made = client.post("/api/v1/sessions", json=body, headers=writer).get_json()
    tokens = [link["token"] for link in made["links"]]
    for token in tokens[:3]:
        answered = other.post("/api/v1/evaluations", json={"token": token, "answers": RATINGS})
        assert answered.status_code == 201
    client.post(f"/api/v1/sessions/{made['session_id']}/close", headers=writer)
    figures = client.get("/api/v1/sessions?month=2026-10", headers=writer).get_json()
    late = other.post("/api/v1/evaluations", json={"token": tokens[3], "answers": RATINGS})
    assert late.status_code == 201  # the other process read the session open a moment ago
    shown = client.get("/api/v1/sessions?month=2026-10", headers=writer).get_json()
    assert shown == figures  # before folding: the reports leave it out
    fold(db)
    shown = client.get("/api/v1/sessions?month=2026-10", headers=writer).get_json()

    def without_comments(body: dict) -> list:  # comments show once every evaluation is folded
        return [{k: v for k, v in row.items() if k != "comments"} for row in body["sessions"]]

    assert without_comments(shown) == without_comments(figures)
    assert figures["sessions"][0]["answered"] == 3, figures
    assert db.responses.count_documents({"channel": "training", "status": "complete"}) == 3
