"""Signatures: forged or missing means 403 and nothing stored."""

import logging

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

    good = CallState("post-call", 1, "en-US", "CA9", "2026-10", 1.8e9).encode()
    values = {**json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4))), **change}
    token = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    c = call(sid="CA9")
    response = c.post(f"/ivr/answer?state={token}", {"Digits": "5"})
    # The caller hears a polite goodbye (never Twilio's "an application error has occurred").
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Hangup />" in response.get_data(as_text=True)
    assert db.events.count_documents({}) == 0


def _state_of(url: str) -> dict:
    import base64
    import json
    from urllib.parse import parse_qsl, urlsplit

    token = dict(parse_qsl(urlsplit(url).query))["state"]
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


@pytest.mark.parametrize(
    "change",
    [
        {"version": 10**20},
        {"version": 0},
        {"started": 10**20},
        {"started": -(10**12)},
        {"started": float("nan")},
        {"q": 10**20},
        {"tries": 10**6},
        {"silent": -1},
        {"month": "9999-99"},
        {"survey": "../post-call"},
        {"lang": "xx-XX"},
        {"interaction": "CA\u0000"},
        {"agent": "\ud800"},
        {"team": "x" * 129},
        {"answers": {"csat": 10**20}},
        {"answers": {"csat": {"url": "\ud800", "duration": 5}}},
        {"answers": {f"k{i}": 1 for i in range(200)}},
        {"skipped": ["$where"]},
        {"pending": ["not_in_this_survey"]},
    ],
    ids=lambda change: next(iter(change)),
)
@pytest.mark.parametrize("webhook", ["/ivr/answer", "/ivr/record", "/ivr/transcription"])
def test_a_signed_state_out_of_its_bounds_ends_the_call_politely_and_logs_no_error(
    call, db, caplog, change, webhook
):
    import base64
    import json

    c = call(sid="CA7")
    c.start()
    state = {**_state_of(c.gather_action()), **change}
    token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    stored = db.events.count_documents({})
    caplog.clear()
    extra = {"Digits": "5", "TranscriptionStatus": "completed", "TranscriptionText": "ok"}
    response = c.post(f"{webhook}?state={token}", extra)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Hangup />" in response.get_data(as_text=True)
    assert db.events.count_documents({}) == stored
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_state_carrying_a_recorded_comment_decodes():
    from ivr_survey.flow import CallState

    recording = {"url": "https://api.twilio.com/rec/RE1", "duration": 7}
    state = CallState(
        "post-call", 1, "en-US", "CA8", "2026-10", 1.8e9, answers={"comment": recording}
    )
    assert CallState.decode(state.encode()) == state


@pytest.mark.parametrize("lang", ["%08", "x%22%3E%3CPlay%3E", "fr-FR"])
def test_the_goodbye_for_a_refused_state_speaks_a_language_of_ours(call, lang):
    import xml.etree.ElementTree as ET

    c = call(sid="CA6")
    response = c.post(f"/ivr/answer?state=bm90LWEtc3RhdGU&lang={lang}", {"Digits": "5"})
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    assert [say.get("language") for say in root.iter("Say")] == ["en-US"]


@pytest.mark.parametrize(
    "query", ["agent=A%E2%80%AE1&team=north", "lang=xx-XX&agent=A1", "team=" + "x" * 200]
)
def test_a_voice_url_value_it_cannot_take_is_left_out_and_the_call_goes_on(call, db, caplog, query):
    """The voice URL is the integrator's: a bad value in it must not make the caller hear
    Twilio's "application error"; the call is surveyed without it."""
    c = call(query=query)
    twiml_text = c.start().get_data(as_text=True)
    assert "<Gather" in twiml_text
    assert any("refused" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
