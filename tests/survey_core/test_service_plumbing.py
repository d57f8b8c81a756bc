"""Every service answers health, readiness and errors in one JSON shape."""

import json
import logging

import pytest
from flask import Blueprint, request

import aggregator
import ivr_survey
import training_survey
import web_survey
from survey_core.web.app import create_service_app
from survey_core.web.auth import require_api_key

FACTORIES = [
    ivr_survey.create_app,
    web_survey.create_app,
    training_survey.create_app,
    aggregator.create_app,
]


def assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == status and body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


@pytest.mark.parametrize("factory", FACTORIES)
def test_every_service_is_healthy_and_ready(factory, config):
    client = factory(config).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


@pytest.mark.parametrize("factory", FACTORIES)
def test_unknown_path_is_a_json_404(factory, config):
    response = factory(config).test_client().get("/no/such/page")
    assert_error_shape(response, 404, "not_found")


@pytest.mark.parametrize("factory", FACTORIES)
def test_wrong_method_is_a_json_405_with_allow(factory, config):
    response = factory(config).test_client().delete("/healthz")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


@pytest.fixture
def probe_client(config):
    """A service app with endpoints that read JSON, fail, and need keys."""
    bp = Blueprint("probe", __name__)

    @bp.post("/echo")
    def echo():
        return {"got": request.get_json()}

    @bp.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @bp.get("/report")
    @require_api_key("read")
    def report():
        return {"ok": True}

    @bp.post("/admin")
    @require_api_key("admin")
    def admin():
        return {"ok": True}

    return create_service_app("probe", __name__, [bp], config).test_client()


def test_malformed_json_is_a_json_400(probe_client):
    response = probe_client.post("/echo", data="{not json", content_type="application/json")
    assert_error_shape(response, 400, "bad_request")


def test_body_over_the_limit_is_a_json_413(probe_client):
    response = probe_client.post(
        "/echo", data=json.dumps({"x": "a" * 200_000}), content_type="application/json"
    )
    assert_error_shape(response, 413, "request_entity_too_large")


def test_unexpected_exception_is_a_json_500_without_internals(probe_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = probe_client.get("/boom")
    body = assert_error_shape(response, 500, "internal_error")
    assert "secret internals" not in json.dumps(body)
    assert "Traceback" not in response.get_data(as_text=True)


def test_request_id_is_echoed_or_made(probe_client):
    assert (
        probe_client.get("/healthz", headers={"X-Request-ID": "abcdef123456"}).headers[
            "X-Request-ID"
        ]
        == "abcdef123456"
    )
    assert len(probe_client.get("/healthz").headers["X-Request-ID"]) == 32


def test_missing_api_key_is_401(probe_client):
    response = probe_client.get("/report")
    assert_error_shape(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_api_key_is_401(probe_client):
    response = probe_client.get("/report", headers={"Authorization": "Bearer voc_nope"})
    assert_error_shape(response, 401, "unauthorized")


def test_read_key_cannot_do_admin_work(probe_client, api_key):
    read = api_key("read")
    assert probe_client.get("/report", headers=read).status_code == 200
    assert_error_shape(probe_client.post("/admin", headers=read), 403, "forbidden")


def test_admin_key_can_also_read(probe_client, api_key):
    admin = api_key("admin")
    assert probe_client.get("/report", headers=admin).status_code == 200
    assert probe_client.post("/admin", headers=admin).status_code == 200


def test_revoked_key_is_refused(probe_client, db):
    from survey_core.web.auth import create_key, revoke_key

    key, record = create_key(db, "gone", "read")
    assert revoke_key(db, record["prefix"]) == 1
    response = probe_client.get("/report", headers={"Authorization": f"Bearer {key}"})
    assert_error_shape(response, 401, "unauthorized")


def test_keys_are_stored_only_as_hashes(db):
    from survey_core.web.auth import create_key

    key, _ = create_key(db, "hashed", "read")
    stored = db.api_keys.find_one({"name": "hashed"})
    assert key not in json.dumps(stored, default=str)


def test_access_log_is_json_without_query_string(probe_client, capsys):
    probe_client.get("/healthz?phone=%2B8613800138000")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    access = [line for line in lines if line["logger"] == "voc.access"]
    assert access and access[-1]["path"] == "/healthz" and access[-1]["status"] == 200
    assert "13800138000" not in json.dumps(lines)


def test_log_lines_mask_phone_numbers():
    from survey_core.web.observability import redact

    assert redact("caller +86 138 0013 8000 pressed 5") == "caller [redacted] pressed 5"
    assert redact("took 12.5 ms, status 200") == "took 12.5 ms, status 200"
    assert redact("GET /2010-04-01/Accounts") == "GET /2010-04-01/Accounts"
    assert redact("from 13800138000") == "from [redacted]"
