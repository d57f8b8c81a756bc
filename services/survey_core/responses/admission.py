"""Who is asked: sampling (deterministic per contact) and suppression (not again within N days)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from survey_core.documents import Db
from survey_core.statuses import Status
from survey_core.storage.breaker import DATABASE_DOWN, breaker


def in_sample(contact_id: str, rate: float) -> bool:
    """Deterministic per contact, so a retried request makes the same choice."""
    if rate >= 1:
        return True
    bucket = int.from_bytes(hashlib.sha256(contact_id.encode()).digest()[:8], "big") / 2**64
    return bucket < rate


def recently_surveyed(
    db: Db, hashed: str | None, days: int, interaction_id: str, now: datetime | None = None
) -> bool:
    """True if this caller took part in another survey within the last `days` days.

    `callers` (kept by the worker) holds each caller's latest participation under the hash:
    one read by `_id`, and no index on `responses`.
    """
    if not hashed or days <= 0:
        return False
    latest = db.callers.find_one({"_id": hashed})
    return took_part_since(latest, days, interaction_id, now or datetime.now(UTC))


def took_part_since(
    latest: Mapping[str, Any] | None, days: int, interaction_id: str, now: datetime
) -> bool:
    """Whether a caller's latest participation (their `callers` document) is another survey
    within the last `days` days."""
    if not latest or days <= 0 or not latest.get("started_at"):
        return False
    since = now - timedelta(days=days)
    return bool(latest["started_at"] >= since and latest.get("interaction_id") != interaction_id)


def admission(
    db: Db,
    survey: dict[str, Any],
    contact_id: str,
    caller: str | None,
    interaction_id: str,
    now: datetime,
) -> Status:
    """IN_PROGRESS, or why the contact is left out: NOT_SAMPLED or SUPPRESSED.

    With the database down the contact is surveyed: rather twice than lose today's answers.
    """
    if not in_sample(contact_id, survey["sample_rate"]):
        return Status.NOT_SAMPLED
    if breaker.is_open():
        return Status.IN_PROGRESS
    try:
        if recently_surveyed(db, caller, survey["suppress_days"], interaction_id, now):
            return Status.SUPPRESSED
    except DATABASE_DOWN:
        breaker.trip()
    return Status.IN_PROGRESS
