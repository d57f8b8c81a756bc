"""A survey that also records comments on the phone: its consent and recording questions are
the phone's only, never shown or answered on a page or through the API."""

from __future__ import annotations

import copy

from survey_core.surveys.definitions import question
from web_survey.default_survey import POST_CONTACT

BOTH = {
    **copy.deepcopy(POST_CONTACT),
    "slug": "phone-and-web",
    "channels": ["ivr", "chat"],
    "questions": [
        *copy.deepcopy(POST_CONTACT["questions"]),
        question("consent", "consent", "留言请按1", "To leave a message, press 1.", False),
        question("voice", "recording", "请留言", "Speak after the tone.", False),
    ],
}


def test_a_page_shows_neither_consent_nor_recording_and_the_api_refuses_them(
    client, api_key, invite
):
    published = client.post("/api/v1/surveys", json=BOTH, headers=api_key("admin"))
    assert published.status_code == 201, published.get_json()
    link = invite(survey="phone-and-web", lang="en-US")
    page = client.get(f"/s/{link['token']}").get_data(as_text=True)
    assert "press 1" not in page and 'name="consent"' not in page and "tone" not in page
    shown = client.get(f"/api/v1/responses/{link['token']}").get_json()
    assert [q["key"] for q in shown["questions"]] == [q["key"] for q in POST_CONTACT["questions"]]
    body = {"token": link["token"], "answers": {"csat": 5, "nps": 9, "ces": 2, "consent": True}}
    refused = client.post("/api/v1/responses", json=body, headers={})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]["answers"]) == {"consent"}
