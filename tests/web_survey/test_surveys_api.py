"""The survey definitions API: versions, channels, and definitions that make no sense."""

from __future__ import annotations

import copy

import pytest

from web_survey.default_survey import POST_CONTACT

NEW = {
    **copy.deepcopy(POST_CONTACT),
    "slug": "after-chat",
    "questions": [
        *copy.deepcopy(POST_CONTACT["questions"]),
        {
            "key": "topics",
            "type": "multi",
            "prompt": {"zh-CN": "涉及哪些方面？", "en-US": "What was it about?"},
            "required": False,
            "choices": [
                {"value": "billing", "label": {"zh-CN": "账单", "en-US": "Billing"}},
                {"value": "delivery", "label": {"zh-CN": "配送", "en-US": "Delivery"}},
            ],
        },
    ],
}


def test_a_new_survey_is_version_one_and_an_edit_is_version_two(client, admin):
    created = client.post("/api/v1/surveys", json=NEW, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["version"] == 1
    edited = {**NEW, "suppress_days": 7}
    assert (
        client.put("/api/v1/surveys/after-chat", json=edited, headers=admin).get_json()["version"]
        == 2
    )
    same = client.put("/api/v1/surveys/after-chat", json=edited, headers=admin)
    assert same.get_json()["version"] == 2
    first = client.get("/api/v1/surveys/after-chat?version=1", headers=admin).get_json()
    assert first["suppress_days"] == NEW["suppress_days"]
    listed = client.get("/api/v1/surveys", headers=admin).get_json()["surveys"]
    assert {s["slug"]: s["version"] for s in listed}["after-chat"] == 2


def test_a_response_keeps_the_version_it_answered(client, admin, invite, db):
    from tests.pipeline import fold

    client.post("/api/v1/surveys", json=NEW, headers=admin)
    token = invite("T1", survey="after-chat")["token"]
    client.put("/api/v1/surveys/after-chat", json={**NEW, "suppress_days": 1}, headers=admin)
    answers = {"csat": 4, "nps": 10, "ces": 1, "topics": ["billing", "delivery"]}
    response = client.post("/api/v1/responses", json={"token": token, "answers": answers})
    assert response.status_code == 201, response.get_json()
    fold(db)
    record = db.responses.find_one({"_id": "chat:T1"})
    assert record["version"] == 1 and record["answers"]["topics"] == ["billing", "delivery"]


def question_at(index: int, **change) -> dict:
    survey = copy.deepcopy(NEW)
    survey["questions"][index].update(change)
    return survey


@pytest.mark.parametrize(
    "survey, where",
    [
        ({**NEW, "questions": []}, "questions"),
        ({**NEW, "questions": NEW["questions"] + NEW["questions"][:1]}, "questions"),
        (question_at(0, type="stars"), "questions"),
        (question_at(0, scale=[1, 10]), "questions"),
        (question_at(1, scale=[1, 5]), "questions"),
        (question_at(4, choices=[]), "questions"),
        (question_at(0, prompt={"zh-CN": "满意吗？"}), "questions"),
        ({**NEW, "title": {"en-US": "Only English"}}, "title"),
        ({**NEW, "channels": ["web", "pigeon"]}, "channels"),
        ({**NEW, "default_language": "fr-FR"}, "default_language"),
        ({**NEW, "suppress_days": 1.5}, "suppress_days"),
        ({**NEW, "webhook_url": "ftp://example.com/x"}, "webhook_url"),
    ],
)
def test_a_definition_that_makes_no_sense_gets_field_errors(client, admin, survey, where, db):
    response = client.post("/api/v1/surveys", json=survey, headers=admin)
    assert response.status_code == 422, response.get_json()
    assert where in response.get_json()["errors"]
    assert db.surveys.count_documents({"slug": "after-chat"}) == 0


def test_a_missing_translation_is_named_where_it_is(client, admin):
    topics = len(NEW["questions"]) - 1
    survey = question_at(topics, choices=[{"value": "x", "label": {"en-US": "X"}}])
    errors = client.post("/api/v1/surveys", json=survey, headers=admin).get_json()["errors"]
    assert errors == {
        "questions": {str(topics): {"choices": {"0": {"label": ["Missing the zh-CN text."]}}}}
    }


def test_the_definitions_api_needs_an_admin_key(client, api_key):
    assert client.get("/api/v1/surveys").status_code == 401
    assert client.get("/api/v1/surveys", headers=api_key("write")).status_code == 403
    assert client.post("/api/v1/surveys", json=NEW, headers=api_key("read")).status_code == 403


def test_creating_an_existing_survey_is_a_conflict_and_editing_a_missing_one_not_found(
    client, admin
):
    assert client.post("/api/v1/surveys", json=POST_CONTACT, headers=admin).status_code == 409
    missing = client.put("/api/v1/surveys/nope", json={**NEW, "slug": "nope"}, headers=admin)
    assert missing.status_code == 404


def test_the_ivr_service_serves_the_same_definitions(config, db, admin):
    import ivr_survey

    ivr = ivr_survey.create_app(config).test_client()
    slugs = {s["slug"] for s in ivr.get("/api/v1/surveys", headers=admin).get_json()["surveys"]}
    assert {"post-call", "post-contact"} <= slugs
