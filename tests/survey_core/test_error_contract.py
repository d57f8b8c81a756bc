"""The Error schema each OpenAPI document publishes is the shape the services actually send."""

from typing import Any

import pytest

import aggregator
import ivr_survey
import training_survey
import web_survey

JSON_TYPES = {
    "string": str,
    "integer": int,
    "object": dict,
    "array": list,
    "boolean": bool,
    "number": (int, float),
}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(params=["aggregator", "ivr_survey", "web_survey", "training_survey"])
def service(request, config, api_key):
    """A service's test client and the requests that make it answer 401, 404 and 422."""
    if request.param == "aggregator":
        client = aggregator.create_app(config).test_client()
        errors = {
            401: lambda: client.get("/api/v1/funnel", query_string={"month": "2026-10"}),
            404: lambda: client.get("/api/v1/no-such-thing", headers=api_key("read")),
            422: lambda: client.get(
                "/api/v1/funnel", query_string={"month": "October"}, headers=api_key("read")
            ),
        }
    elif request.param == "web_survey":
        client = web_survey.create_app(config).test_client()
        body = {"channel": "chat", "interaction_id": "T1"}
        errors = {
            401: lambda: client.post("/api/v1/invitations", json=body),
            404: lambda: client.get("/api/v1/no-such-thing", headers=api_key("write")),
            422: lambda: client.post(
                "/api/v1/invitations", json={**body, "channel": "fax"}, headers=api_key("write")
            ),
        }
    elif request.param == "training_survey":
        client = training_survey.create_app(config).test_client()
        body = {"trainer_id": "T1", "topic": "t", "held_at": "2026-10-01T09:00:00+08:00"}
        errors = {
            401: lambda: client.post("/api/v1/sessions", json=body),
            404: lambda: client.get("/api/v1/no-such-thing", headers=api_key("write")),
            422: lambda: client.post(
                "/api/v1/sessions", json={**body, "trainees": []}, headers=api_key("write")
            ),
        }
    else:
        client = ivr_survey.create_app(config).test_client()
        body = {"to": "+8613800138000", "interaction": "T1"}
        errors = {
            401: lambda: client.post("/api/v1/callbacks", json=body),
            404: lambda: client.get("/api/v1/no-such-thing", headers=api_key("admin")),
            422: lambda: client.post(
                "/api/v1/callbacks",
                json={**body, "to": "13800138000"},
                headers=api_key("admin"),
            ),
        }
    return client, errors


def served_error_schema(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()["components"]["schemas"]["Error"]


def matches(value: Any, schema: dict[str, Any]) -> bool:
    expected = JSON_TYPES[schema["type"]]
    if isinstance(value, bool) and expected is not bool:
        return False
    return isinstance(value, expected)


def check_field_errors(errors: Any) -> None:
    """field -> list of messages, or a nested object of the same kind."""
    assert isinstance(errors, dict)
    for field, messages in errors.items():
        assert isinstance(field, str)
        if isinstance(messages, dict):
            check_field_errors(messages)
        else:
            assert isinstance(messages, list) and messages
            assert all(isinstance(m, str) for m in messages)


def test_published_error_schema_is_the_contract(service):
    client, _ = service
    schema = served_error_schema(client)
    assert schema["type"] == "object"
    assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
        "code": "string",
        "status": "integer",
        "message": "string",
        "errors": "object",
        "request_id": "string",
    }
    assert set(schema["required"]) == {"code", "status", "message", "errors"}
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("status", [401, 404, 422])
def test_errors_sent_match_the_published_schema(service, status):
    client, errors = service
    schema = served_error_schema(client)
    response = errors[status]()
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    # Exactly the published keys: every required one, nothing unpublished.
    assert set(schema["required"]) <= set(body) <= set(schema["properties"])
    for name, value in body.items():
        assert matches(value, schema["properties"][name]), (name, value)
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    check_field_errors(body["errors"])
    if status == 422:
        assert body["code"] == "validation_error" and body["errors"]
    if status == 401:
        assert body["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def _schema_of(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """A documented response's JSON schema, following a $ref to components/responses."""
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def test_every_documented_error_response_is_the_error_schema(service):
    client, _ = service
    spec = client.get("/api/v1/openapi.json").get_json()
    seen = 0
    for path in spec["paths"].values():
        for method, operation in path.items():
            if method == "parameters":
                continue
            for code, response in operation["responses"].items():
                if code == "default" or int(code) >= 400:
                    assert _schema_of(spec, response) == {"$ref": ERROR_REF}, code
                    seen += 1
    assert seen


def test_ivr_openapi_documents_the_callbacks_api(config):
    client = ivr_survey.create_app(config).test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.0.3"
    # The /ivr/* webhooks are Twilio's; the survey definitions API is shared with the web survey.
    assert set(spec["paths"]) == {"/api/v1/callbacks", "/api/v1/surveys", "/api/v1/surveys/{slug}"}
    post = spec["paths"]["/api/v1/callbacks"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CallbackRequest"}
    request_schema = spec["components"]["schemas"]["CallbackRequest"]
    assert {"to", "interaction"} <= set(request_schema["required"])
    assert _schema_of(spec, post["responses"]["202"]) == {
        "$ref": "#/components/schemas/CallbackResponse"
    }
    assert {"202", "401", "403", "409", "422", "502", "503"} <= set(post["responses"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]


def test_swagger_ui_is_served_without_a_cdn(service):
    client, _ = service
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "cdn." not in html and "/api/v1/openapi.json" in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f'"docs/assets/{asset}"' in html
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200 and len(response.get_data()) > 1000
        response.close()
    assert client.get("/docs/assets/index.html").status_code == 404
