"""The `responses` collection: one document per survey taken, rollups updated exactly once.

Every state change is a conditional update of the response document in the same transaction as
its rollup increments: a replayed webhook or double submit matches nothing and counts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from survey_core import rollups
from survey_core.surveys import SCALES
from survey_core.transactions import in_transaction

META_FIELDS = (
    "survey",
    "version",
    "channel",
    "interaction_id",
    "agent_id",
    "team",
    "reason",
    "language",
    "month",
    "started_at",
    "caller_hash",
)
OPEN = "in_progress"
FINAL_STATUSES = ("complete", "partial", "abandoned", "not_reached")
Outcome = Literal["stored", "duplicate", "conflict", "closed"]


def key_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {"channel": meta["channel"], "interaction_id": meta["interaction_id"]}


def _new_doc(meta: Mapping[str, Any], status: str) -> dict[str, Any]:
    doc = {f: meta.get(f) for f in META_FIELDS if f not in ("channel", "interaction_id")}
    doc["started_at"] = doc.get("started_at") or datetime.now(UTC)
    doc.update(status=status, answers={}, skipped=[])
    return doc


def _bump(db: Database, s: ClientSession, meta: Mapping[str, Any], counters: dict) -> None:
    ops = rollups.increments(meta["month"], meta, counters)
    if ops:
        db.rollups.bulk_write(ops, ordered=False, session=s)


def open_response(db: Database, meta: Mapping[str, Any], status: str = OPEN) -> bool:
    """Create the response document (funnel: offered + `status`); False if it already existed."""

    def work(s: ClientSession) -> bool:
        result = db.responses.update_one(
            key_of(meta), {"$setOnInsert": _new_doc(meta, status)}, upsert=True, session=s
        )
        if result.upserted_id is None:
            return False
        funnel = {"funnel.offered": 1, f"funnel.{'started' if status == OPEN else status}": 1}
        _bump(db, s, meta, funnel)
        return True

    try:
        return in_transaction(db, work)
    except DuplicateKeyError:  # a concurrent retry of the same request created it first
        return False


def record_answer(
    db: Database, meta: Mapping[str, Any], key: str, qtype: str, value: Any
) -> Outcome:
    """Store one answer; rollups move only when the answer is new to this response."""
    now = datetime.now(UTC)

    def work(s: ClientSession) -> Outcome:
        result = db.responses.update_one(
            {**key_of(meta), f"answers.{key}": {"$exists": False}, "skipped": {"$ne": key}},
            {
                "$set": {f"answers.{key}": value, "updated_at": now, "last_question": key},
            },
            session=s,
        )
        if result.modified_count == 0:
            return _why_not(db, s, meta, key, value)
        if qtype in SCALES:
            _bump(db, s, meta, rollups.answer_counter(qtype, int(value)))
        return "stored"

    open_response(db, meta)  # no-op when the call already has its document
    return in_transaction(db, work)


def record_skip(db: Database, meta: Mapping[str, Any], key: str) -> Outcome:
    """Mark question `key` skipped (invalid keys or silence); idempotent."""

    def work(s: ClientSession) -> Outcome:
        result = db.responses.update_one(
            {**key_of(meta), f"answers.{key}": {"$exists": False}, "skipped": {"$ne": key}},
            {"$push": {"skipped": key}, "$set": {"last_question": key}},
            session=s,
        )
        return "stored" if result.modified_count else "duplicate"

    open_response(db, meta)
    return in_transaction(db, work)


def _why_not(
    db: Database, s: ClientSession, meta: Mapping[str, Any], key: str, value: Any
) -> Outcome:
    doc = db.responses.find_one(key_of(meta), {"answers": 1, "skipped": 1}, session=s) or {}
    if key in doc.get("skipped", []):
        return "conflict"
    return "duplicate" if doc.get("answers", {}).get(key) == value else "conflict"


def close_response(
    db: Database,
    meta: Mapping[str, Any],
    status: str,
    last_question: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bool:
    """Move an open response to a final status once; the funnel counts it once."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"unknown final status {status!r}")
    now = datetime.now(UTC)

    def work(s: ClientSession) -> bool:
        fields: dict[str, Any] = {"status": status, "submitted_at": now, **(extra or {})}
        if last_question is not None:
            fields["last_question_index"] = last_question
        result = db.responses.update_one(
            {**key_of(meta), "status": OPEN}, {"$set": fields}, session=s
        )
        if not result.modified_count:
            return False
        counter = f"funnel.{status}"
        if status == "partial" and last_question is not None:
            counter = f"funnel.partial_at.{last_question}"
            _bump(db, s, meta, {"funnel.partial": 1, counter: 1})
        else:
            _bump(db, s, meta, {counter: 1})
        return True

    open_response(db, meta)
    return in_transaction(db, work)


def record_complete_response(
    db: Database, meta: Mapping[str, Any], answers: Mapping[str, Any], qtypes: Mapping[str, str]
) -> bool:
    """Store a whole response at once (web form, demo data); False if it was already stored."""
    now = datetime.now(UTC)

    def work(s: ClientSession) -> bool:
        doc = _new_doc(meta, "complete") | {
            "answers": dict(answers),
            "submitted_at": meta.get("submitted_at") or now,
        }
        result = db.responses.update_one(
            key_of(meta), {"$setOnInsert": doc}, upsert=True, session=s
        )
        if result.upserted_id is None:
            return False
        counters = {"funnel.offered": 1, "funnel.started": 1, "funnel.complete": 1}
        for key, value in answers.items():
            if qtypes.get(key) in SCALES and value is not None:
                counters[f"{qtypes[key]}.{int(value)}"] = 1
        _bump(db, s, meta, counters)
        return True

    try:
        return in_transaction(db, work)
    except DuplicateKeyError:
        return False
