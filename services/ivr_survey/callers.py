"""Callers' numbers: only ever a keyed hash, used for "not again within N days" and sampling."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

from pymongo.database import Database

TAKEN = ("in_progress", "complete", "partial", "abandoned")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def caller_hash(number: str, key: str) -> str | None:
    """HMAC-SHA256 of the number's digits under `key`; None for an empty or hidden number."""
    digits = re.sub(r"[^\d+]", "", number or "")
    if len(digits.lstrip("+")) < 5:  # "anonymous", "restricted", short codes
        return None
    return hmac.new(key.encode(), digits.encode(), hashlib.sha256).hexdigest()


def in_sample(call_sid: str, rate: float) -> bool:
    """Deterministic per call, so a retried webhook makes the same choice."""
    if rate >= 1:
        return True
    bucket = int.from_bytes(hashlib.sha256(call_sid.encode()).digest()[:8], "big") / 2**64
    return bucket < rate


def recently_surveyed(
    db: Database, hashed: str | None, days: int, interaction_id: str, now: datetime | None = None
) -> bool:
    """True if this caller took (started) a survey within the last `days` days."""
    if not hashed or days <= 0:
        return False
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    # Equality on the indexed hash only; a caller has few responses, filtered here.
    for doc in db.responses.find(
        {"caller_hash": hashed}, {"started_at": 1, "status": 1, "interaction_id": 1}
    ).limit(200):
        if (
            doc["started_at"] >= since
            and doc["status"] in TAKEN
            and doc["interaction_id"] != interaction_id
        ):
            return True
    return False
