"""Inputs are matched whole: a trailing newline is not a month, a number or a slug (issue 12)."""

from __future__ import annotations

import pytest

import aggregator
import ivr_survey
import web_survey


def test_a_month_with_a_trailing_newline_is_refused(config, api_key):
    client = aggregator.create_app(config).test_client()
    response = client.get("/api/v1/funnel?month=2026-10%0A", headers=api_key("read"))
    assert response.status_code == 422 and "month" in response.get_json()["errors"]


def test_a_number_with_a_trailing_newline_is_refused(config, api_key):
    client = ivr_survey.create_app(config).test_client()
    body = {"to": "+8613800138000\n", "interaction": "T1"}
    response = client.post("/api/v1/callbacks", json=body, headers=api_key("admin"))
    assert response.status_code == 422 and "to" in response.get_json()["errors"]


@pytest.mark.parametrize("field, value", [("slug", "after-chat\n")])
def test_a_slug_with_a_trailing_newline_is_refused(config, api_key, field, value):
    from web_survey.default_survey import POST_CONTACT

    client = web_survey.create_app(config).test_client()
    response = client.post(
        "/api/v1/surveys", json={**POST_CONTACT, field: value}, headers=api_key("admin")
    )
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_a_json_body_nested_a_thousand_deep_is_a_400_not_a_500(config, api_key):
    client = web_survey.create_app(config).test_client()
    body = "[" * 1000 + "]" * 1000
    response = client.post(
        "/api/v1/invitations",
        data=body,
        headers={**api_key("write"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["code"] == "bad_request"


def test_the_bearer_scheme_is_case_insensitive(config, api_key):
    client = aggregator.create_app(config).test_client()
    key = api_key("read")["Authorization"][7:]
    for scheme in ("bearer", "BEARER", "Bearer"):
        response = client.get(
            "/api/v1/funnel?month=2026-10", headers={"Authorization": f"{scheme} {key}"}
        )
        assert response.status_code == 200, scheme


@pytest.mark.parametrize("digits", ["²", "٣", "³", "１"])
def test_keypad_digits_are_ascii_only(digits):
    from ivr_survey.flow import parse_digits

    assert parse_digits({"type": "csat"}, digits) is None


def test_an_unknown_query_parameter_is_refused_not_ignored(config, api_key):
    client = aggregator.create_app(config).test_client()
    response = client.get(
        "/api/v1/metrics/monthly?from=2026-10&to=2026-10&agnet=A1", headers=api_key("read")
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"agnet": ["Unknown field."]}
    fine = client.get(
        "/api/v1/metrics/monthly?from=2026-10&to=2026-10&agent=A1", headers=api_key("read")
    )
    assert fine.status_code == 200


@pytest.mark.parametrize("value", ["8", True, None])
def test_a_number_field_takes_json_numbers_only(config, api_key, value):
    client = aggregator.create_app(config).test_client()
    body = {
        "interaction_id": "T1",
        "channel": "chat",
        "agent": "A1",
        "monitor_id": "M1",
        "scored_at": "2026-10-15T10:00:00+08:00",
        "form": {"id": "f"},
        "items": [{"key": "k", "score": value, "max": 10}],
    }
    response = client.post("/api/v1/monitor-scores", json=body, headers=api_key("write"))
    assert response.status_code == 422


@pytest.mark.parametrize(
    "rated_at", ["0001-01-01T00:00:01+04:00", "9999-12-31T23:59:59-04:00", "1999-12-31T23:59:59Z"]
)
def test_an_instant_outside_2000_to_2099_is_a_422_not_an_overflow(config, api_key, rated_at):
    client = aggregator.create_app(config).test_client()
    body = {"channel": "web", "interaction_id": "T1", "agent": "A1", "rating": 4}
    response = client.post(
        "/api/v1/agent-ratings", json={**body, "rated_at": rated_at}, headers=api_key("write")
    )
    assert response.status_code == 422 and "rated_at" in response.get_json()["errors"]


def test_a_survey_version_beyond_64_bits_is_a_422_not_a_500(config, api_key):
    client = web_survey.create_app(config).test_client()
    response = client.get(
        "/api/v1/surveys/post-contact?version=233542135694093850008092672",
        headers=api_key("admin"),
    )
    assert response.status_code == 422 and "version" in response.get_json()["errors"]


def test_the_csv_form_of_a_report_is_in_the_openapi_document(config):
    spec = aggregator.create_app(config).test_client().get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/metrics/monthly", "/api/v1/funnel", "/api/v1/calibration"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}


@pytest.mark.parametrize("value", [1, 0, "true", "yes"])
def test_a_boolean_field_takes_json_booleans_only(config, api_key, value):
    client = web_survey.create_app(config).test_client()
    body = {"channel": "sms", "interaction_id": "T1", "phone": "+8613800138000", "send": value}
    response = client.post("/api/v1/invitations", json=body, headers=api_key("write"))
    assert response.status_code == 422 and "send" in response.get_json()["errors"]


def test_asking_to_text_a_link_without_a_sender_number_is_a_422_before_anything_is_stored(
    config, api_key, db
):
    client = web_survey.create_app(config).test_client()
    body = {"channel": "sms", "interaction_id": "T1", "phone": "+8613800138000", "send": True}
    response = client.post("/api/v1/invitations", json=body, headers=api_key("write"))
    assert response.status_code == 422 and "TWILIO_FROM_NUMBER" in str(response.get_json())
    assert db.invitations.count_documents({}) == 0


def test_link_endpoints_are_published_without_the_bearer_requirement(config):
    import training_survey

    for service, paths in (
        (web_survey, [("/api/v1/responses/{token}", "get"), ("/api/v1/responses", "post")]),
        (training_survey, [("/api/v1/evaluations", "post")]),
    ):
        spec = service.create_app(config).test_client().get("/api/v1/openapi.json").get_json()
        for path, method in paths:
            assert spec["paths"][path][method]["security"] == []
        assert spec["security"] == [{"bearerAuth": []}]


def test_a_nullable_nested_object_is_published_as_its_schema_or_null(config):
    spec = aggregator.create_app(config).test_client().get("/api/v1/openapi.json").get_json()
    growth = spec["components"]["schemas"]["Rule"]["properties"]["growth"]
    assert growth["allOf"] == [{"$ref": "#/components/schemas/Growth"}] and growth["nullable"]
    assert "anyOf" not in growth


def test_a_call_back_without_a_caller_id_is_a_409_not_a_server_error(config, api_key):
    client = ivr_survey.create_app(config).test_client()
    body = {"to": "+8613800138000", "interaction": "T1"}
    response = client.post("/api/v1/callbacks", json=body, headers=api_key("admin"))
    assert response.status_code == 409 and response.get_json()["code"] == "not_configured"
