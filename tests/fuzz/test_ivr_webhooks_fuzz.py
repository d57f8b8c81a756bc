"""Hypothesis plays a hostile but correctly signing Twilio: random webhook parameters, keypad
digits in any script, call-state tokens that are garbage, or real ones with fields of the wrong
type. Every answer is TwiML (200) or the JSON error shape (4xx); never a 500, and never a
traceback in the log (the caller hearing the polite "trouble" goodbye after an exception
counts as a failure: that path logs the exception).
"""

from __future__ import annotations

import base64
import json
import os
import xml.etree.ElementTree as ET
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ivr_survey
from survey_core.storage.breaker import breaker
from tests.fuzz.conftest import TEXT
from tests.ivr_survey.twilio_sim import BASE, Call, sign

CASES = int(os.environ.get("FUZZ_CASES", "200"))
WEBHOOKS = ("/ivr/voice", "/ivr/answer", "/ivr/record", "/ivr/transcription", "/ivr/status")
KEYPAD = st.text(
    st.sampled_from("0123456789*#") | st.characters(categories=("Nd", "No")), max_size=6
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
STATE_FIELDS = (
    "survey version lang interaction month started agent team reason caller q tries silent "
    "answers skipped pending"
).split()
TWILIO_PARAMS = {
    "Digits": KEYPAD,
    "CallStatus": st.sampled_from(["completed", "busy", "no-answer", "failed"]) | TEXT,
    "RecordingUrl": st.just("https://api.twilio.com/rec/RE1") | TEXT,
    "RecordingDuration": st.integers(-5, 10**20).map(str) | TEXT,
    "TranscriptionText": TEXT,
    "TranscriptionStatus": st.sampled_from(["completed", "failed"]) | TEXT,
    "From": st.just("+8613800138000") | TEXT,
    "Direction": st.sampled_from(["inbound", "outbound-api"]) | TEXT,
    "SpeechResult": TEXT,
}


def _encode(data: object) -> str:
    raw = json.dumps(data, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@st.composite
def state_tokens(draw: st.DrawFn, real: dict) -> str:
    """A real call's state with one field replaced, or made-up JSON, or any text at all."""
    kind = draw(st.sampled_from(["real", "mutated", "mutated", "json", "text"]))
    if kind == "real":
        return _encode(real)
    if kind == "mutated":
        name = draw(st.sampled_from(STATE_FIELDS))
        return _encode({**real, name: draw(JSON_VALUES)})
    if kind == "json":
        return _encode(draw(st.dictionaries(st.sampled_from(STATE_FIELDS), JSON_VALUES)))
    return draw(TEXT)


@pytest.fixture
def ivr(config):
    breaker.reset()
    client = ivr_survey.create_app({**config, "RATE_LIMIT_PUBLIC": "100000/minute"}).test_client()
    call = Call(client)
    call.start()
    query = dict(parse_qsl(urlsplit(call.gather_action()).query))
    real = json.loads(base64.urlsafe_b64decode(query["state"] + "=" * (-len(query["state"]) % 4)))
    return client, real


def _check(response) -> None:
    if response.status_code == 200:
        assert response.mimetype == "text/xml", response.get_data(as_text=True)
        assert ET.fromstring(response.get_data(as_text=True)).tag == "Response"
    elif response.status_code == 204:
        assert not response.get_data()
    else:
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) >= {"code", "status", "message", "errors"}
        assert body["status"] == response.status_code


def test_signed_webhooks_with_random_parameters_answer_twiml_or_a_json_error(ivr, logged_errors):
    client, real = ivr
    seen: Counter[int] = Counter()

    @given(
        path=st.sampled_from(WEBHOOKS),
        state=state_tokens(real),
        call_sid=st.sampled_from(["CA0001", "CA0002", "CA0003"]) | TEXT,
        lang=st.none() | st.sampled_from(["zh-CN", "en-US"]) | TEXT,
        params=st.fixed_dictionaries({}, optional=TWILIO_PARAMS),
    )
    @settings(
        max_examples=CASES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def webhook(path, state, call_sid, lang, params):
        query = {k: v for k, v in (("state", state), ("lang", lang)) if v is not None}
        url = path + (f"?{urlencode(query)}" if query else "")
        form = {"AccountSid": "AC" + "1" * 32, "To": "+15005550006", "CallSid": call_sid}
        form.update(params)
        logged_errors.clear()
        response = client.post(
            url, data=form, headers={"X-Twilio-Signature": sign(BASE + url, form)}
        )
        _check(response)
        seen[response.status_code] += 1
        assert not logged_errors, [r.getMessage() for r in logged_errors]

    webhook()
    print(f"IVR webhooks: {sum(seen.values())} signed requests, statuses {dict(seen)}")
    # Enough requests got past the signature and the parameters' validation to the call flow.
    assert seen[200] >= sum(seen.values()) / 10, dict(seen)
