"""The alerts escalation raises: read, and acknowledged by a person."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from survey_core.documents import Db


def listed(db: Db, query: Mapping[str, Any], limit: int = 1000) -> list[dict[str, Any]]:
    """Alerts matching `query` (status, category, level), newest first."""
    return list(db.alerts.find(dict(query)).sort("opened_at", -1).limit(limit))


def acknowledge(db: Db, alert_id: str, who: str | None) -> dict[str, Any] | None:
    """Acknowledge an open alert (who and when); the alert as it now stands, None if unknown."""
    now = datetime.now(UTC)
    change = {"status": "acknowledged", "acknowledged_by": who, "acknowledged_at": now}
    db.alerts.update_one({"_id": alert_id, "status": "open"}, {"$set": change})
    return db.alerts.find_one({"_id": alert_id})


def count_open(db: Db) -> int:
    """How many alerts are open (not acknowledged)."""
    return db.alerts.count_documents({"status": "open"})
