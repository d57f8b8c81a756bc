"""The `responses` collection: one document per survey taken, rollups updated exactly once.

Every state change is a conditional update of the response document in the same transaction as
its rollup increments: a replayed webhook or a double submit matches nothing and counts nothing.
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
    "agent_id",
    "team",
    "reason",
    "language",
    "month",
    "started_at",
    "caller_hash",
    "call_sid",
)
OPEN = "in_progress"
# Statuses a response is created in; only in_progress goes on to take answers.
OPENING_STATUSES = (OPEN, "suppressed", "not_sampled", "not_reached")
FINAL_STATUSES = ("complete", "partial", "abandoned")
Outcome = Literal["stored", "duplicate", "conflict"]


def key_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {"channel": meta["channel"], "interaction_id": meta["interaction_id"]}


def _new_doc(meta: Mapping[str, Any], status: str) -> dict[str, Any]:
    doc: dict[str, Any] = {f: meta.get(f) for f in META_FIELDS}
    doc["started_at"] = doc.get("started_at") or datetime.now(UTC)
    doc.update(status=status, answers={}, skipped=[], reached=0)
    return doc


def _bump(db: Database, s: ClientSession, meta: Mapping[str, Any], counters: dict) -> None:
    ops = rollups.increments(meta["month"], meta, counters)
    if ops:
        db.rollups.bulk_write(ops, ordered=False, session=s)


def _open(db: Database, s: ClientSession, meta: Mapping[str, Any], status: str) -> bool:
    result = db.responses.update_one(
        key_of(meta), {"$setOnInsert": _new_doc(meta, status)}, upsert=True, session=s
    )
    if result.upserted_id is None:
        return False
    funnel = {"funnel.offered": 1, f"funnel.{'started' if status == OPEN else status}": 1}
    _bump(db, s, meta, funnel)
    return True


def open_response(db: Database, meta: Mapping[str, Any], status: str = OPEN) -> bool:
    """Create the response document (funnel: offered + `status`); False if it already existed."""
    if status not in OPENING_STATUSES:
        raise ValueError(f"a response cannot open as {status!r}")
    try:
        return in_transaction(db, lambda s: _open(db, s, meta, status))
    except DuplicateKeyError:  # a concurrent retry of the same request created it first
        return False


def find_response(db: Database, meta: Mapping[str, Any]) -> dict[str, Any] | None:
    return db.responses.find_one(key_of(meta))


def _unanswered(meta: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {**key_of(meta), f"answers.{key}": {"$exists": False}, "skipped": {"$ne": key}}


def _change_once(
    db: Database,
    meta: Mapping[str, Any],
    key: str,
    update: dict[str, Any],
    reached: int | None,
    on_change: dict[str, int],
    value: Any = None,
) -> Outcome:
    """Apply `update` if question `key` has no answer or skip yet, then bump `on_change`."""
    now = datetime.now(UTC)
    update = {**update, "$set": {**update.get("$set", {}), "updated_at": now}}
    if reached is not None:
        update["$max"] = {"reached": reached}

    def work(s: ClientSession) -> Outcome:
        result = db.responses.update_one(_unanswered(meta, key), update, session=s)
        if result.matched_count == 0:
            doc = db.responses.find_one(key_of(meta), {"answers": 1, "skipped": 1}, session=s)
            if doc is None:  # the call's first write never landed: create it now
                _open(db, s, meta, OPEN)
                db.responses.update_one(_unanswered(meta, key), update, session=s)
            else:
                if reached is not None:
                    db.responses.update_one(key_of(meta), {"$max": {"reached": reached}}, session=s)
                if key in doc.get("skipped", []):
                    return "duplicate" if value is None else "conflict"
                same = doc.get("answers", {}).get(key) == value
                return "duplicate" if same else "conflict"
        _bump(db, s, meta, on_change)
        return "stored"

    return in_transaction(db, work)


def record_answer(
    db: Database,
    meta: Mapping[str, Any],
    key: str,
    qtype: str,
    value: Any,
    reached: int | None = None,
) -> Outcome:
    """Store one answer; rollups move only when the question had no answer yet.

    A second, different answer to the same question is a "conflict" and changes nothing.
    """
    counters = rollups.answer_counter(qtype, int(value)) if qtype in SCALES else {}
    update = {"$set": {f"answers.{key}": value, "last_question": key}}
    return _change_once(db, meta, key, update, reached, counters, value)


def record_skip(
    db: Database, meta: Mapping[str, Any], key: str, reached: int | None = None
) -> Outcome:
    """Mark question `key` skipped (invalid keys, silence); idempotent."""
    update = {"$push": {"skipped": key}, "$set": {"last_question": key}}
    return _change_once(db, meta, key, update, reached, {})


def set_fields(db: Database, meta: Mapping[str, Any], fields: Mapping[str, Any]) -> None:
    """Set non-counted fields (a transcription arriving late); idempotent."""
    db.responses.update_one(key_of(meta), {"$set": dict(fields)})


def close_response(
    db: Database,
    meta: Mapping[str, Any],
    status: str,
    last_question: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bool:
    """Move an open response to a final status once; the funnel counts it once."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"unknown final status {status!r}")
    now = datetime.now(UTC)

    def work(s: ClientSession) -> bool:
        fields: dict[str, Any] = {"status": status, "submitted_at": now, **(extra or {})}
        if last_question is not None:
            fields["last_question_reached"] = last_question
        result = db.responses.update_one(
            {**key_of(meta), "status": OPEN}, {"$set": fields}, session=s
        )
        if not result.modified_count:
            return False
        counters = {f"funnel.{status}": 1}
        if status == "partial" and last_question is not None:
            counters[f"funnel.partial_at.{last_question}"] = 1
        _bump(db, s, meta, counters)
        return True

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
            "reached": len(qtypes),
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
