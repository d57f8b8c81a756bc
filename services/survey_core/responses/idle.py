"""Settling conversations that went quiet: a call whose status callback never came."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from survey_core.documents import Db
from survey_core.responses import events
from survey_core.responses.events import Kind

TIMEOUT = "timeout"
EXPIRED = "expired"


def settle_idle(db: Db, idle_minutes: float, now: datetime | None = None) -> int:
    """Close every live call with no news for `idle_minutes`, and every opened link past its
    expiry; returns how many.

    The close is an event like any other (`<rid>:close`): a status callback that comes after
    all is a duplicate, and one that came first makes this one a duplicate.
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(minutes=idle_minutes)
    closed = 0
    for doc in db.live.find():  # the worker keeps this list of conversations in progress
        if doc.get("expires_at") is not None:  # a link stays open until it expires
            if doc["expires_at"] > now:
                continue
            reason = EXPIRED
        elif doc.get("updated_at") and doc["updated_at"] > cutoff:
            continue
        else:
            reason = TIMEOUT
        meta = {"channel": doc["channel"], "interaction_id": doc["interaction_id"]}
        if events.insert(db, events.event(Kind.CLOSE, meta, end_reason=reason)) == "stored":
            closed += 1
    return closed
