"""Plays Twilio Voice against the IVR app: signs every request and follows the TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

BASE = "https://voc.example.com"
TOKEN = "test-auth-token"


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


class Call:
    """One phone call: start it, press keys, stay silent, record, hang up."""

    def __init__(
        self,
        client,
        sid: str = "CA0001",
        caller: str = "+8613800138000",
        query: str = "",
        direction: str = "inbound",
        base: str = BASE,
    ) -> None:
        self.client, self.sid, self.caller, self.base = client, sid, caller, base
        self.query, self.direction = query, direction
        self.twiml: ET.Element | None = None
        self.last_request: tuple[str, dict[str, str]] | None = None
        self.history: list[ET.Element] = []

    def post(
        self,
        url: str,
        extra: dict[str, str] | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        params = {
            "CallSid": self.sid,
            "AccountSid": "AC" + "1" * 32,
            "From": self.caller,
            "To": "+15005550006",
            "Direction": self.direction,
            **(extra or {}),
        }
        if self.direction.startswith("outbound"):
            params["From"], params["To"] = "+15005550006", self.caller
        full = urljoin(self.base + "/", url)
        parts = urlsplit(full)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        sig = sign(full, params) if signature is None else signature
        self.last_request = (url, params)
        response = self.client.post(
            path, data=params, headers={"X-Twilio-Signature": sig, **(headers or {})}
        )
        if response.status_code == 200 and response.mimetype == "text/xml":
            self.twiml = ET.fromstring(response.get_data(as_text=True))
            self.history.append(self.twiml)
        return response

    def start(self, **kw):
        return self.post("/ivr/voice" + (f"?{self.query}" if self.query else ""), **kw)

    def gather_action(self) -> str:
        gather = self.twiml.find("Gather")
        assert gather is not None, ET.tostring(self.twiml)
        return gather.get("action")

    def press(self, digits: str):
        return self.post(self.gather_action(), {"Digits": digits})

    def silence(self):
        return self.post(self.gather_action(), {})

    def record(self, url: str = "https://api.twilio.com/rec/RE1", seconds: int = 7):
        action = self.twiml.find("Record").get("action")
        return self.post(action, {"RecordingUrl": url, "RecordingDuration": str(seconds)})

    def replay(self):
        url, params = self.last_request
        extra = {
            k: v
            for k, v in params.items()
            if k not in ("CallSid", "AccountSid", "From", "To", "Direction")
        }
        return self.post(url, extra)

    def hang_up(self, status: str = "completed", query: str = ""):
        return self.post("/ivr/status" + query, {"CallStatus": status, "CallDuration": "42"})

    def says(self) -> list[str]:
        return [say.text or "" for say in self.twiml.iter("Say")]

    def asks(self) -> str:
        """The prompt of the current question (the Say inside Gather, or before Record)."""
        gather = self.twiml.find("Gather")
        if gather is not None:
            return gather.find("Say").text
        return self.says()[-1]

    def hung_up(self) -> bool:
        return self.twiml is not None and self.twiml.find("Hangup") is not None
