"""Signatures: forged or missing means 403 and nothing stored."""

import pytest

import ivr_survey
from tests.ivr_survey.conftest import response_of
from tests.ivr_survey.twilio_sim import Call, sign


def test_missing_signature_is_403_and_stores_nothing(call, db):
    response = call().start(signature="")
    assert response.status_code == 403
    assert response.get_json()["code"] == "invalid_signature"
    assert db.responses.count_documents({}) == 0


def test_forged_signature_is_403(call, db):
    c = call()
    response = c.start(signature=sign("https://voc.example.com/ivr/voice", {"x": "y"}, "guess"))
    assert response.status_code == 403
    assert db.responses.count_documents({}) == 0


def test_tampered_state_is_refused(call, db):
    c = call()
    c.start()
    action = c.gather_action()
    tampered = action.replace("state=", "state=AAAA")
    signature = sign("https://voc.example.com" + action, {"CallSid": "CA0001", "Digits": "5"})
    response = c.post(tampered, {"Digits": "5"}, signature=signature)
    assert response.status_code == 403
    assert "csat" not in response_of(db, "CA0001")["answers"]


def test_signature_for_another_host_is_refused(call, db):
    c = call(base="https://attacker.example.net")
    assert c.start().status_code == 403


def test_forwarded_host_is_trusted_only_from_configured_proxies(config, db):
    config = dict(config, PUBLIC_BASE_URL=None, TRUSTED_PROXIES="1")
    client = ivr_survey.create_app(config).test_client()
    c = Call(client, base="https://ivr.example.org")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.org"}
    assert c.start(headers=headers).status_code == 200
    untrusted = ivr_survey.create_app(dict(config, TRUSTED_PROXIES="0")).test_client()
    assert (
        Call(untrusted, base="https://ivr.example.org", sid="CA2")
        .start(headers=headers)
        .status_code
        == 403
    )


@pytest.mark.parametrize("path", ["/ivr/answer?state=xx", "/ivr/record", "/ivr/status"])
def test_every_webhook_checks_the_signature(client, path):
    assert client.post(path, data={"CallSid": "CA1"}).status_code == 403


def test_missing_call_sid_is_422(call):
    c = call()
    url = "https://voc.example.com/ivr/voice"
    response = c.client.post(
        "/ivr/voice", data={"From": "+1"}, headers={"X-Twilio-Signature": sign(url, {"From": "+1"})}
    )
    assert response.status_code == 422
    assert "CallSid" in response.get_json()["errors"]


@pytest.mark.parametrize(
    "change",
    [
        {"interaction": {"$gt": ""}},
        {"version": "1"},
        {"q": True},
        {"answers": {"csat": {"$ne": 1}}},
        {"pending": "csat"},
        {"started": "yesterday"},
    ],
)
def test_a_state_token_with_fields_of_the_wrong_type_is_refused_and_stores_nothing(
    call, db, change
):
    import base64
    import json

    from ivr_survey.flow import CallState

    good = CallState("post-call", 1, "en-US", "CA9", "2026-10", 1.0).encode()
    values = {**json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4))), **change}
    token = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    c = call(sid="CA9")
    response = c.post(f"/ivr/answer?state={token}", {"Digits": "5"})
    assert response.status_code == 400 and response.get_json()["code"] == "bad_state"
    assert db.events.count_documents({}) == 0
