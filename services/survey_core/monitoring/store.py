"""Monitor scores, self-ratings and thanks: stored once under their keyed id, read by month,
by contact or by agent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pymongo.errors import DuplicateKeyError

from survey_core.documents import Db
from survey_core.storage.lookups import find_in

Collection = Literal["monitor_scores", "agent_ratings", "thanks"]
Counted = Literal["monitor_scores", "agent_ratings", "thanks", "complaints"]


def store(db: Db, collection: Collection, doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Insert `doc` under its `_id`; a re-post changes nothing. Returns the stored document
    and whether it is new."""
    doc = {**doc, "stored_at": datetime.now(UTC)}
    try:
        db[collection].insert_one(doc)
        return doc, True
    except DuplicateKeyError:
        return db[collection].find_one({"_id": doc["_id"]}) or doc, False


def of_month(db: Db, collection: Collection, month: str) -> list[dict[str, Any]]:
    """Every record of `month`."""
    return list(db[collection].find({"month": month}))


def per_agent(
    db: Db, collection: Counted, month: str, value: str | None = None
) -> dict[str, tuple[int, float | None]]:
    """Per agent of `month`: how many records, and the mean of `value` if named."""
    group: dict[str, Any] = {"_id": "$agent", "n": {"$sum": 1}}
    if value:
        group["mean"] = {"$avg": f"${value}"}
    found = db[collection].aggregate([{"$match": {"month": month}}, {"$group": group}])
    return {str(d["_id"]): (d["n"], d.get("mean")) for d in found if d["_id"]}


def of_contact(db: Db, collection: Collection, rid: str) -> list[dict[str, Any]]:
    """What was recorded about one contact (its response id), oldest first."""
    field = "rid" if collection == "monitor_scores" else "_id"
    return list(db[collection].find({field: rid}).sort("stored_at", 1))


def of_agent(db: Db, collection: Collection, agent: str, month: str) -> list[dict[str, Any]]:
    """`agent`'s records of `month`, newest first."""
    return list(db[collection].find({"month": month, "agent": agent}).sort("stored_at", -1))


def scored_among(db: Db, rids: list[str]) -> set[str]:
    """Which of the contacts `rids` a monitor has scored (in any month)."""
    found = find_in(db.monitor_scores, "rid", rids, None, {"rid": 1})
    return {d["rid"] for d in found}
