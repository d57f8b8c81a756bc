"""Reads of stored complaints for the contact and agent pages."""

from __future__ import annotations

from typing import Any

from survey_core.complaints.store import complaint_id
from survey_core.documents import Db


def of_contact(db: Db, rid: str, channel: str, interaction_id: str) -> list[dict[str, Any]]:
    """The complaints about one contact: the survey's own (keyed by the response id `rid`) and
    any filed with its channel and interaction id; oldest first."""
    query = {
        "$or": [
            {"_id": complaint_id("survey", rid)},
            {"interaction_id": interaction_id, "channel": channel},
        ]
    }
    return list(db.complaints.find(query).sort("occurred_at", 1))


def of_agent(db: Db, agent: str, month: str, limit: int = 50) -> list[dict[str, Any]]:
    """`agent`'s complaints of `month`, newest first."""
    found = db.complaints.find({"month": month, "agent": agent}).sort("occurred_at", -1)
    return list(found.limit(limit))
