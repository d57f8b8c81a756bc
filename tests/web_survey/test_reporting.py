"""What the aggregator reports for web answers: exactly what customers answered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import aggregator
from survey_core.months import month_of
from survey_core.questionnaires.invitations import invite as create_invitation
from survey_core.web.pages import policy
from tests.web_survey.conftest import GOOD, csrf_of, page_path


@pytest.fixture
def reports(config, api_key):
    client = aggregator.create_app(config).test_client()
    headers = api_key("read")
    return lambda path, **query: client.get(path, query_string=query, headers=headers).get_json()


def test_the_aggregator_reports_web_answers_as_given(client, invite, db, reports):
    scores = [(5, 10, 1), (4, 9, 2), (2, 3, 5), (5, 6, 2), (1, 0, 4)]
    for i, (csat, nps, ces) in enumerate(scores):
        token = invite(f"T{i}", agent=f"A{i % 2}")["token"]
        answers = {**GOOD, "csat": csat, "nps": nps, "ces": ces}
        if csat <= 2 or nps <= 6:  # the default survey asks a reason after a low score
            answers["low_score_reason"] = "waiting"
        assert (
            client.post("/api/v1/responses", json={"token": token, "answers": answers}).status_code
            == 201
        )
    invite("T-unopened")
    client.get(page_path(invite("T-opened")))
    month = month_of(datetime.now(UTC), app_tz(client))
    row = reports("/api/v1/metrics/monthly", **{"from": month, "to": month, "channel": "chat"})[
        "rows"
    ][0]
    assert row["csat"]["n"] == 5 and row["csat"]["value"] == pytest.approx(60.0)
    assert row["nps"]["value"] == pytest.approx(100 * (2 - 3) / 5)
    assert row["ces"]["value"] == pytest.approx(14 / 5)
    funnel = reports("/api/v1/funnel", month=month, channel="chat")
    assert funnel["offered"] == 7  # invited
    assert funnel["started"] == 6  # opened (an API submission opens the response too)
    assert funnel["completed"] == 5
    by_agent = reports("/api/v1/metrics/breakdown", month=month, by="agent")["rows"]
    assert {r["value"]: r["csat"]["n"] for r in by_agent} == {"A0": 3, "A1": 2}


def app_tz(client):
    return client.application.config["SETTINGS"].tz


def test_a_response_counts_in_the_month_of_its_contact_in_the_configured_zone(app, db):
    settings = app.config["SETTINGS"]
    # 2026-10-31 17:30 UTC is already November in Shanghai.
    late = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)
    survey = db.surveys.find_one({"slug": "post-contact"})
    body = {"channel": "email", "interaction_id": "E1", "send": False}
    made = create_invitation(db, policy(settings, "survey"), survey, body, now=late)
    assert made.invitation["meta"]["month"] == "2026-11"


def test_one_response_per_link_whether_by_page_or_api(client, invite, db):
    invitation = invite("T1", lang="en-US")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    form = {"csrf_token": csrf_of(html), "csat": "4", "nps": "8", "ces": "3"}
    assert client.post(page_path(invitation), data=form).status_code == 200
    api = client.post("/api/v1/responses", json={"token": invitation["token"], "answers": GOOD})
    assert api.status_code == 409
    draft = client.patch("/api/v1/responses", json={"token": invitation["token"], "answers": {}})
    assert draft.status_code == 409
    assert db.events.count_documents({"kind": "submit"}) == 1


def test_an_oversized_form_is_refused_before_it_is_read(client, invite):
    invitation = invite("T1")
    response = client.post(page_path(invitation), data={"comment": "x" * 200_000})
    assert response.status_code == 413
    assert response.mimetype == "text/html"


def test_the_openapi_document_covers_every_json_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]) == {
        "/api/v1/surveys",
        "/api/v1/surveys/{slug}",
        "/api/v1/invitations",
        "/api/v1/invitations:batch",
        "/api/v1/responses",
        "/api/v1/responses/{token}",
    }
    assert set(spec["paths"]["/api/v1/responses"]) == {"post", "patch"}
    assert client.get("/docs").status_code == 200
