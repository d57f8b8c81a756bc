"""The dashboard's recent comments: what customers wrote or said, shown as text or a recording."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pymongo.database import Database

from survey_core import sealing
from survey_core.responses import reads
from survey_core.responses.events import parts_of
from survey_core.sealing import Keyring

COMMENT = "comment"  # the question key the default surveys use for a free comment
SHOWN = 10


def recording_of(value: Mapping[str, Any]) -> dict[str, Any]:
    """A spoken comment ({url, duration} as the IVR stores it): a link only to an http(s)
    address (never `javascript:`), its length in whole seconds when it is a number."""
    url = value.get("url")
    safe = isinstance(url, str) and urlsplit(url).scheme in ("http", "https") and "\n" not in url
    seconds = value.get("duration")
    ok = isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0
    return {"url": url if safe else None, "seconds": round(seconds) if ok else None}


def comment_of(record: Mapping[str, Any], keyring: Keyring = sealing.NO_KEYS) -> dict[str, Any]:
    """One record's comment as the page shows it (opened with `keyring`): text, a recording
    (with its transcript when Twilio sent one), who took the call and the CSAT given."""
    value = keyring.shown_answer((record.get("answers") or {}).get(COMMENT))
    transcript = keyring.shown((record.get("transcripts") or {}).get(COMMENT))
    shown: dict[str, Any] = {
        "text": None,
        "recording": None,
        "transcript": transcript if isinstance(transcript, str) else None,
        "agent": record.get("agent_id"),
        "csat": (record.get("scores") or {}).get("csat"),
        "contact": parts_of(record["_id"]) if "_id" in record else None,  # (channel, interaction)
    }
    if isinstance(value, Mapping):
        shown["recording"] = recording_of(value)
    elif value is not None:
        shown["text"] = str(value)
    return shown


def recent_comments(db: Database, month: str, agent: str | None = None) -> list[dict[str, Any]]:
    """The month's latest customer comments (never a trainee's; `agent`'s alone when named),
    newest first."""
    found = reads.newest_comments(db, month, COMMENT, SHOWN, agent)
    keyring = sealing.current()
    return [comment_of(record, keyring) for record in found]
