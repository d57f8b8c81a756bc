"""Outbound calls and texts, and deleting recordings, go through the real twilio REST client;
a recording's audio is fetched with the account's credentials, which never leave the server."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from survey_core import sealing
from survey_core.sealing import Keyring
from survey_core.settings import TwilioSettings

# A Twilio recording's SID in its URL (the only part of a stored URL anything is fetched by).
RECORDING_SID = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})")


def twilio_client(settings: TwilioSettings) -> Client:
    """The real twilio REST client; TWILIO_API_BASE_URL points it elsewhere (tests)."""
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url
    return client


class TwilioUnavailable(Exception):
    """Twilio's API could not do what was asked (unreachable, or an error answer)."""


def recording_deleter(
    account_sid: str | None, auth_token: str | None, api_base_url: str | None = None
) -> Callable[[str], None] | None:
    """Deletes a recording at Twilio by its SID (one already gone is no error); None without
    credentials (the caller keeps the recording and says so)."""
    if not (account_sid and auth_token):
        return None
    client = Client(account_sid, auth_token)
    if api_base_url:
        client.api.base_url = api_base_url

    def delete(sid: str) -> None:
        try:
            client.recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:
                raise TwilioUnavailable(f"Twilio answered {exc.status}") from None
        except OSError as exc:  # refused, unreachable, timed out (requests' errors are these)
            raise TwilioUnavailable(type(exc).__name__) from None

    return delete


TWILIO_API = "https://api.twilio.com"
MAX_AUDIO_BYTES = 50 * 1024 * 1024  # about an hour of MP3: no survey comment is longer


def recording_audio(account_sid: str, auth_token: str, api_base_url: str | None, sid: str) -> bytes:
    """The MP3 of recording `sid` of our account (the address is built here from the SID, never
    taken from stored data); LookupError when Twilio has no such recording, TwilioUnavailable
    when it cannot be fetched."""
    url = f"{api_base_url or TWILIO_API}/2010-04-01/Accounts/{account_sid}/Recordings/{sid}.mp3"
    try:
        with requests.get(url, auth=(account_sid, auth_token), timeout=10, stream=True) as got:
            if got.status_code == 404:
                raise LookupError(sid)
            if got.status_code != 200:
                raise TwilioUnavailable(f"Twilio answered {got.status_code}")
            audio: bytes = got.raw.read(MAX_AUDIO_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise TwilioUnavailable(type(exc).__name__) from None
    if len(audio) > MAX_AUDIO_BYTES:
        raise TwilioUnavailable("the recording is larger than any survey comment")
    return audio


def recording_sid(value: Any, keyring: Keyring = sealing.NO_KEYS) -> str | None:
    """The Twilio recording SID in a recorded answer's URL (sealed: opened with `keyring`)."""
    url = keyring.open(value.get("url")) if isinstance(value, Mapping) else None
    if isinstance(url, str):
        found = RECORDING_SID.search(url)
        return found.group(1) if found else None
    return None
