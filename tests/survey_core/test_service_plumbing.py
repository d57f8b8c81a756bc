"""Every service answers health, readiness and errors in one JSON shape."""

import json
import logging
import sys

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


def test_a_key_in_use_is_read_once_a_second_and_refused_a_second_after_revocation(
    probe_client, db, monkeypatch
):
    import time

    from survey_core.web import auth

    reads = []
    live_key = auth.live_key
    monkeypatch.setattr(auth, "live_key", lambda d, h: reads.append(h) or live_key(d, h))
    key, record = auth.create_key(db, "busy", "read")
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(5):
        assert probe_client.get("/report", headers=headers).status_code == 200
    assert len(reads) == 1  # one read for five requests within the second
    assert auth.revoke_key(db, record["prefix"]) == 1
    time.sleep(auth.KEY_CACHE_S)
    assert_error_shape(probe_client.get("/report", headers=headers), 401, "unauthorized")
    # Unknown and revoked keys are never held: each request reads them again.
    assert_error_shape(probe_client.get("/report", headers=headers), 401, "unauthorized")
    assert len(reads) == 3


def test_a_views_body_schema_is_built_once_not_per_request(config, api_key, monkeypatch):
    from aggregator.quality.complaints import ComplaintSchema

    client = aggregator.create_app(config).test_client()
    built = []
    init = ComplaintSchema.__init__
    monkeypatch.setattr(
        ComplaintSchema, "__init__", lambda self, *a, **k: built.append(1) or init(self, *a, **k)
    )
    writer = api_key("write")
    for i in range(3):
        body = {"source": "crm", "external_id": f"S{i}", "occurred_at": "2026-11-02T09:30:00Z"}
        assert client.post("/api/v1/complaints", json=body, headers=writer).status_code == 201
    assert len(built) <= 1


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


def test_an_unhandled_error_line_carries_the_request_id(probe_client, capsys):
    probe_client.get("/boom", headers={"X-Request-ID": "req-boom-1234"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (error,) = [line for line in lines if line["message"] == "unhandled error"]
    assert error["request_id"] == "req-boom-1234" and "exception" in error


PHONES = [
    "138-1234-5678",
    "138 1234 5678",
    "138.1234.5678",
    "+86 138 1234 5678",
    "+8613812345678",
    "13812345678",
    "(555) 123-4567",
    "+1-555-123-4567",
    "+1 (555) 123-4567",
    "+44 20 7946 0958",
]


@pytest.mark.parametrize("phone", PHONES)
def test_a_phone_number_in_any_written_form_is_masked_in_every_field(phone):
    from survey_core.web.observability import JsonFormatter

    try:
        raise ValueError(f"no route to {phone}")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "call %s", (phone,), None)
        record.exc_info = sys.exc_info()
    record.fields = {"caller": phone, "nested": {"list": [f"电话{phone}。"]}, "path": f"/s/{phone}"}
    line = JsonFormatter().format(record)
    digits = "".join(c for c in phone if c.isdigit())
    assert phone not in line and digits[-8:] not in line.replace(" ", "").replace("-", "")
    entry = json.loads(line)
    assert entry["message"] == "call [redacted]"
    assert entry["caller"] == "[redacted]" and entry["nested"]["list"] == ["电话[redacted]。"]
    assert entry["path"] == "/s/[redacted]"


@pytest.mark.parametrize(
    "text",
    [
        "took 12.5 ms, status 200",
        "GET /2010-04-01/Accounts 200",
        "2026-12-06T13:13:46.337+00:00",
        "request 3940077750a64a4ca54371ef7b320427",
        "CA3940077750a64a4ca54371ef7b320427",
        "1234567890.5 seconds",
    ],
)
def test_what_is_not_a_phone_number_is_left_alone(text):
    from survey_core.web.observability import redact

    assert redact(text) == text


@pytest.mark.parametrize("phone", ["+8613812345678", "+86 138 1234 5678", "+1-555-123-4567"])
def test_masking_a_phone_in_the_path_keeps_the_access_lines_status(probe_client, capsys, phone):
    probe_client.get(f"/s/{phone}")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (access,) = [line for line in lines if line["logger"] == "voc.access"]
    assert access["message"] == "GET /s/[redacted] 404"
    assert access["path"] == "/s/[redacted]" and access["status"] == 404
    assert isinstance(access["duration_ms"], float)
