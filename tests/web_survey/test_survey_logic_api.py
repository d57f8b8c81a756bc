"""Display conditions through the JSON APIs: definitions refused or versioned, the widget API
returning conditions and refusing answers to hidden questions."""

from __future__ import annotations

import copy
import json

import pytest

from tests.survey_core.test_conditions import LOW_CSAT, REASONS, reason
from web_survey.default_survey import POST_CONTACT

LOGIC = {
    **copy.deepcopy(POST_CONTACT),
    "slug": "with-logic",
    "questions": [
        copy.deepcopy(POST_CONTACT["questions"][0]),
        reason("why", LOW_CSAT),
        copy.deepcopy(POST_CONTACT["questions"][1]),
    ],
}


@pytest.fixture
def admin(api_key):
    return api_key("admin")


@pytest.mark.parametrize(
    ("show_if", "problem"),
    [
        ({"nps": {"lte": 6}}, "'nps' is not an earlier question of this survey."),
        ({"csat": {"lte": 9}}, "'csat': a csat answer is a whole number from 1 to 5, not 9."),
        ({"csat": {"$where": "sleep(1)"}}, "unknown operator '$where'"),
        ({"$or": [{"csat": {"lte": 2}}]}, "'$or': a test is an object"),
        ({"csat": {"lte": "\ud800"}}, "not '\\ud800'"),
        ({"all": [LOW_CSAT] * 100}, "'all' takes 1 to 20 conditions."),
    ],
)
def test_a_condition_on_anything_but_an_earlier_compatible_question_is_a_422(
    client, admin, show_if, problem
):
    bad = copy.deepcopy(LOGIC)
    bad["questions"][1]["show_if"] = show_if
    # as JSON text, escaped (a lone surrogate is "\\ud800" on the wire)
    response = client.post(
        "/api/v1/surveys", data=json.dumps(bad), content_type="application/json", headers=admin
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "validation_error"
    messages = body["errors"]["questions"]["1"]["show_if"]
    assert any(problem in m for m in messages), messages


def test_a_reason_question_has_one_to_nine_options(client, admin):
    bad = copy.deepcopy(LOGIC)
    bad["questions"][1]["choices"] = [
        {"value": f"r{n}", "label": {"zh-CN": f"原因{n}", "en-US": f"reason {n}"}}
        for n in range(10)
    ]
    response = client.post("/api/v1/surveys", json=bad, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["errors"]["questions"]["1"]["choices"] == [
        "A reason question has at most 9 options."
    ]


def test_a_changed_condition_publishes_a_new_version(client, admin):
    assert client.post("/api/v1/surveys", json=LOGIC, headers=admin).get_json()["version"] == 1
    edited = copy.deepcopy(LOGIC)
    edited["questions"][1]["show_if"] = {"csat": {"lte": 3}}
    stored = client.put("/api/v1/surveys/with-logic", json=edited, headers=admin).get_json()
    assert stored["version"] == 2
    assert stored["questions"][1]["show_if"] == {"csat": {"lte": 3}}
    first = client.get("/api/v1/surveys/with-logic?version=1", headers=admin).get_json()
    assert first["questions"][1]["show_if"] == LOW_CSAT


def _link(client, admin, invite, interaction="T1") -> str:
    client.post("/api/v1/surveys", json=LOGIC, headers=admin)
    return invite(interaction, survey="with-logic")["token"]


def test_the_widget_api_returns_each_questions_condition(client, admin, invite):
    token = _link(client, admin, invite)
    questions = client.get(f"/api/v1/responses/{token}").get_json()["questions"]
    assert [q.get("show_if") for q in questions] == [None, LOW_CSAT, None]
    assert questions[1]["type"] == "reason" and questions[1]["choices"] == REASONS


def test_the_widget_api_refuses_an_answer_to_a_hidden_question(client, admin, invite, db):
    token = _link(client, admin, invite)
    answers = {"csat": 4, "why": "price", "nps": 9}
    refused = client.post("/api/v1/responses", json={"token": token, "answers": answers})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "answers": {"why": ["This question is not asked for the answers given."]}
    }
    draft = client.patch("/api/v1/responses", json={"token": token, "answers": answers})
    assert draft.status_code == 422
    assert db.events.count_documents({"kind": {"$in": ["submit", "draft"]}}) == 0


def test_a_conditional_required_question_is_required_only_when_shown(client, admin, invite, db):
    from tests.pipeline import fold

    low, high = _link(client, admin, invite, "T1"), _link(client, admin, invite, "T2")
    missing = client.post(
        "/api/v1/responses", json={"token": low, "answers": {"csat": 2, "nps": 3}}
    )
    assert missing.status_code == 422
    assert missing.get_json()["errors"]["answers"] == {"why": ["Missing data for required field."]}
    given = {"csat": 2, "why": "waiting", "nps": 3}
    assert (
        client.post("/api/v1/responses", json={"token": low, "answers": given}).status_code == 201
    )
    happy = client.post("/api/v1/responses", json={"token": high, "answers": {"csat": 5, "nps": 9}})
    assert happy.status_code == 201, happy.get_json()
    fold(db)
    records = {r["interaction_id"]: r for r in db.responses.find()}
    assert records["T1"]["answers"] == given and records["T1"]["status"] == "complete"
    assert records["T2"]["answers"] == {"csat": 5, "nps": 9}
    assert records["T2"]["status"] == "complete" and records["T2"]["skipped"] == []


def test_a_reason_saved_before_a_later_draft_hid_it_is_not_kept(client, admin, invite, db):
    """Drafts are merged per question: a reason saved with a low score stays saved when a
    later draft raises the score, but the folded record never holds an answer its own answers
    hide (here left partial when the link expires unsubmitted)."""
    from datetime import UTC, datetime, timedelta

    from survey_core.responses.idle import settle_idle
    from tests.pipeline import fold

    token = _link(client, admin, invite)
    low = {"csat": 1, "why": REASONS[0]["value"]}
    assert (
        client.patch("/api/v1/responses", json={"token": token, "answers": low}).status_code == 200
    )
    assert (
        client.patch("/api/v1/responses", json={"token": token, "answers": {"csat": 5}}).status_code
        == 200
    )
    fold(db)
    settle_idle(db, 30, now=datetime.now(UTC) + timedelta(days=30))
    fold(db)
    record = db.responses.find_one({"_id": "chat:T1"})
    assert record["answers"] == {"csat": 5} and record["scores"] == {"csat": 5}
    assert record["status"] == "partial" and not record.get("low_score_reasons")
