"""`surveyctl demo call`: one whole IVR survey call placed against a running IVR service,
every webhook signed as Twilio signs it, printing what the caller would hear."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin

from twilio.request_validator import RequestValidator

DEMO_RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{sid}"
MAX_STEPS = 20  # a survey longer than this is not a demo


class CallFailed(RuntimeError):
    """A webhook answered something other than TwiML with 200."""


@dataclass
class Call:
    """What happened: the call's id, the prompts heard and the keys pressed."""

    sid: str
    heard: list[str] = field(default_factory=list)
    pressed: list[str] = field(default_factory=list)
    recorded: bool = False
    hung_up: bool = False


def _post(base: str, token: str, path: str, params: dict[str, str]) -> ET.Element | None:
    url = urljoin(base + "/", path)
    signature = RequestValidator(token).compute_signature(url, params)
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise CallFailed(f"{path}: HTTP {exc.code} {exc.read()[:300]!r}") from None
    except urllib.error.URLError as exc:
        raise CallFailed(f"{url}: {exc.reason} (is the IVR service running?)") from None
    return ET.fromstring(body) if body.strip().startswith(b"<") else None


def _heard(twiml: ET.Element) -> list[str]:
    """The prompts played before the caller acts (what follows a <Record> plays only when
    the caller says nothing)."""
    heard = []
    for node in twiml:
        if node.tag == "Record":
            break
        heard += [spoken.text or "" for spoken in node.iter("Say")]
    return heard


def place_call(
    base: str,
    token: str,
    digits: Sequence[str] = ("5", "9", "2"),
    *,
    lang: str = "en-US",
    agent: str = "A01",
    team: str = "north",
    recording_seconds: int = 7,
    say: Callable[[str], None] = print,
) -> Call:
    """Walk one call: /ivr/voice, a key press for every <Gather> (from `digits`, then "1"),
    a recording for a <Record> (none when `recording_seconds` is 0), the status callback."""
    base = base.rstrip("/")
    call = Call(sid="CA" + uuid.uuid4().hex)
    common = {
        "CallSid": call.sid,
        "From": f"+861{uuid.uuid4().int % 10**10:010d}",  # a new caller: never suppressed
        "To": "+15005550006",
        "Direction": "inbound",
    }
    query = urlencode({"agent": agent, "team": team, "reason": "billing", "lang": lang})
    say(f"> POST /ivr/voice?{query}  (CallSid {call.sid})")
    twiml = _post(base, token, f"/ivr/voice?{query}", common)
    keys = list(digits)
    for _ in range(MAX_STEPS):
        if twiml is None:
            raise CallFailed("a webhook answered no TwiML")
        for spoken in _heard(twiml):
            call.heard.append(spoken)
            say(f"< {spoken}")
        gather, record = twiml.find("Gather"), twiml.find("Record")
        if gather is not None:
            pressed = keys.pop(0) if keys else "1"
            call.pressed.append(pressed)
            say(f"> presses {pressed}")
            twiml = _post(base, token, gather.get("action", ""), {**common, "Digits": pressed})
        elif record is not None and recording_seconds > 0:
            call.recorded = True
            say(f"> speaks for {recording_seconds} s")
            params = {
                **common,
                "RecordingUrl": DEMO_RECORDING.format(sid=call.sid[2:]),
                "RecordingDuration": str(recording_seconds),
            }
            twiml = _post(base, token, record.get("action", ""), params)
        else:
            call.hung_up = twiml.find("Hangup") is not None
            break
    say("> hangs up (status callback: completed)")
    _post(base, token, "/ivr/status", {**common, "CallStatus": "completed"})
    return call
