"""Outbound call-back surveys go through the real twilio client to a local stand-in for its API."""

import pytest

import ivr_survey
from tests.standins import form_of, standin, twilio_responder


class FakeTwilioApi:
    """What the stand-in received, as (path, form, Authorization header)."""

    received: list = []


@pytest.fixture
def twilio_api():
    with standin(twilio_responder) as (url, received):
        FakeTwilioApi.received = received
        yield url


def last_request() -> tuple[str, dict, str]:
    path, body, headers = FakeTwilioApi.received[-1]
    return path, form_of(body), headers["authorization"]


@pytest.fixture
def api_client(config, twilio_api):
    app = ivr_survey.create_app(
        dict(config, TWILIO_API_BASE_URL=twilio_api, TWILIO_FROM_NUMBER="+15005550006")
    )
    return app.test_client()


def test_callback_places_a_call_with_voice_and_status_urls(api_client, api_key):
    response = api_client.post(
        "/api/v1/callbacks",
        headers=api_key("admin"),
        json={
            "to": "+8613800138000",
            "agent": "A17",
            "reason": "billing",
            "language": "zh-CN",
            "interaction": "TICKET-42",
        },
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json() == {
        "call_sid": "CA" + "f" * 32,
        "status": "queued",
        "interaction": "TICKET-42",
    }
    path, form, auth = last_request()
    assert path == f"/2010-04-01/Accounts/AC{'1' * 32}/Calls.json"
    assert auth.startswith("Basic ")
    assert form["To"] == ["+8613800138000"] and form["From"] == ["+15005550006"]
    voice = form["Url"][0]
    assert voice.startswith("https://voc.example.com/ivr/voice?")
    assert "agent=A17" in voice and "interaction=TICKET-42" in voice and "lang=zh-CN" in voice
    assert form["StatusCallback"][0].startswith("https://voc.example.com/ivr/status?state=")


def test_callback_nobody_answers_is_recorded_as_not_reached(api_client, api_key, db):
    from tests.ivr_survey.conftest import response_of, rollup
    from tests.ivr_survey.twilio_sim import Call

    api_client.post(
        "/api/v1/callbacks",
        headers=api_key("admin"),
        json={"to": "+8613800138000", "agent": "A17", "interaction": "TICKET-43"},
    )
    status_url = last_request()[1]["StatusCallback"][0]
    call = Call(api_client, sid="CA" + "f" * 32, caller="+8613800138000", direction="outbound-api")
    call.post(status_url, {"CallStatus": "no-answer"})
    doc = response_of(db, "TICKET-43")
    assert doc["status"] == "not_reached" and doc["agent_id"] == "A17"
    assert rollup(db)["funnel"] == {"offered": 1, "not_reached": 1}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"to": "13800138000", "interaction": "T1"}, "to"),
        ({"to": "+8613800138000"}, "interaction"),
        ({"to": "+8613800138000", "interaction": "T1", "survey": "no-such"}, "survey"),
        ({"to": "+8613800138000", "interaction": "T1", "language": "fr-FR"}, "language"),
    ],
)
def test_bad_callback_input_is_422_with_field_errors(api_client, api_key, body, field):
    response = api_client.post("/api/v1/callbacks", headers=api_key("admin"), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert not FakeTwilioApi.received


def test_twilio_refusal_is_a_json_502(api_client, api_key):
    response = api_client.post(
        "/api/v1/callbacks",
        headers=api_key("admin"),
        json={"to": "+15550000000", "interaction": "T1"},
    )
    assert response.status_code == 502 and response.get_json()["code"] == "twilio_error"


def test_callbacks_need_an_admin_key(api_client, api_key):
    body = {"to": "+8613800138000", "interaction": "T1"}
    assert api_client.post("/api/v1/callbacks", json=body).status_code == 401
    assert (
        api_client.post("/api/v1/callbacks", json=body, headers=api_key("read")).status_code == 403
    )


def test_malformed_json_body_is_400(api_client, api_key):
    response = api_client.post(
        "/api/v1/callbacks", headers=api_key("admin"), data="{", content_type="application/json"
    )
    assert response.status_code == 400 and response.get_json()["code"] == "bad_request"
