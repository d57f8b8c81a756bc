"""Customers' comments for the dashboard: what they wrote or said (text or a recording) with
the scores they gave, the month's newest and a filtered list a page at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.database import Database

from survey_core import sealing
from survey_core.messaging import recording_sid
from survey_core.responses import reads
from survey_core.responses.comments import page_of_comments
from survey_core.responses.events import parts_of
from survey_core.sealing import Keyring

COMMENT = "comment"  # the question key the default surveys use for a free comment
SHOWN = 10
PAGE_SIZE = 20
FILTERS = ("agent", "team", "reason", "channel")
# The score bands a comment list can be cut by: name -> (metric, lowest, highest).
BANDS: dict[str, tuple[str, int, int]] = {
    "nps-detractors": ("nps", 0, 6),
    "nps-passives": ("nps", 7, 8),
    "nps-promoters": ("nps", 9, 10),
    "csat-1-2": ("csat", 1, 2),
    "csat-3": ("csat", 3, 3),
    "csat-4-5": ("csat", 4, 5),
    "ces-1-2": ("ces", 1, 2),
    "ces-3": ("ces", 3, 3),
    "ces-4-5": ("ces", 4, 5),
}


def recording_of(value: Mapping[str, Any]) -> dict[str, Any]:
    """A spoken comment ({url, duration} as the IVR stores it, its URL opened): `playable`
    when the URL names a Twilio recording SID (the page plays it through the dashboard's
    recordings route, which fetches it from Twilio by that SID; the stored address itself,
    whatever host it names, never reaches the page), its length in whole seconds when it is
    a number."""
    seconds = value.get("duration")
    ok = isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0
    return {"playable": recording_sid(value) is not None, "seconds": round(seconds) if ok else None}


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
        "team": record.get("team"),
        "reason": record.get("reason"),
        "channel": record.get("channel"),
        "interaction": record.get("interaction_id"),
        "csat": (record.get("scores") or {}).get("csat"),
        "contact": parts_of(record["_id"]) if "_id" in record else None,  # (channel, interaction)
        "key": COMMENT,  # the question it answers (a recording plays by it)
        "scores": {
            metric: value
            for metric, value in (record.get("scores") or {}).items()
            if metric in ("csat", "nps", "ces") and isinstance(value, int)
        },
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


def comments_page(
    db: Database, month: str, filters: Mapping[str, str], band: str | None, page: int
) -> dict[str, Any]:
    """Page `page` (from 1) of the month's customer comments matching `filters` (agent, team,
    reason, channel) and the score `band` (`BANDS`), newest first; `has_next` when more."""
    found = page_of_comments(
        db,
        month,
        COMMENT,
        filters,
        BANDS[band] if band else None,
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE + 1,
    )
    keyring = sealing.current()
    shown = [comment_of(record, keyring) for record in found[:PAGE_SIZE]]
    return {"comments": shown, "has_next": len(found) > PAGE_SIZE, "page": page}
