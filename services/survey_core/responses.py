"""The `responses` collection: one document per survey taken.

Every write here is one conditional update of one response document: a replayed webhook or a
double submit matches nothing and changes nothing. Writes never touch the rollups; they mark the
document `dirty` and the roller (survey_core.roller) folds settled documents into the monthly
histograms exactly once, in batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from survey_core.surveys import SCALES

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
DIRTY_OPEN = "open"
# Statuses a response is created in; only in_progress goes on to take answers.
OPENING_STATUSES = (OPEN, "suppressed", "not_sampled", "not_reached")
FINAL_STATUSES = ("complete", "partial", "abandoned")
Outcome = Literal["stored", "duplicate", "conflict"]


def response_id(channel: str, interaction_id: str) -> str:
    """The `_id` of a response: its unique (channel, interaction_id) pair as one string.

    Filters on `_id` plus conditions stay index lookups on every server (SecantusDB scans the
    collection for a compound-index filter with extra predicates).
    """
    return f"{channel}:{interaction_id}"


def key_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {"_id": response_id(meta["channel"], meta["interaction_id"])}


def _new_doc(meta: Mapping[str, Any], status: str) -> dict[str, Any]:
    doc: dict[str, Any] = {f: meta.get(f) for f in META_FIELDS}
    doc["channel"], doc["interaction_id"] = meta["channel"], meta["interaction_id"]
    doc["started_at"] = doc.get("started_at") or datetime.now(UTC)
    doc.update(status=status, answers={}, scores={}, skipped=[], reached=0, rev=0, counted=[])
    # `dirty` is the one index of the write path: "open" while the call is on the line (the
    # sweeper's queue), True once settled with something not yet counted (the roller's queue).
    doc["dirty"] = DIRTY_OPEN if status == OPEN else True
    if not doc.get("caller_hash"):
        doc.pop("caller_hash", None)  # sparse indexes skip what is absent
    if not doc.get("call_sid"):
        doc.pop("call_sid", None)
    return doc


def _touch(update: dict[str, Any], dirty: bool) -> dict[str, Any]:
    """Every write bumps `rev` (the roller's optimistic lock); a write to a settled response
    also marks it dirty, which queues it for the roller. Open calls are never queued."""
    fields = {**update.get("$set", {}), "updated_at": datetime.now(UTC)}
    if dirty:
        fields["dirty"] = True
    return {**update, "$set": fields, "$inc": {**update.get("$inc", {}), "rev": 1}}


def open_response(db: Database, meta: Mapping[str, Any], status: str = OPEN) -> bool:
    """Create the response document in `status`; False if it already existed."""
    if status not in OPENING_STATUSES:
        raise ValueError(f"a response cannot open as {status!r}")
    try:
        result = db.responses.update_one(
            key_of(meta), {"$setOnInsert": _new_doc(meta, status)}, upsert=True
        )
    except DuplicateKeyError:  # a concurrent retry of the same request created it first
        return False
    if result.upserted_id is not None and meta.get("call_sid"):
        # The call's id differs from the interaction's: keep the way back for status callbacks.
        db.call_sids.update_one(
            {"_id": meta["call_sid"]},
            {
                "$setOnInsert": {
                    "channel": meta["channel"],
                    "interaction_id": meta["interaction_id"],
                }
            },
            upsert=True,
        )
    return result.upserted_id is not None


def find_by_call_sid(db: Database, channel: str, call_sid: str) -> dict[str, Any] | None:
    """The response of a telephony call: `_id` by default, else through the call_sids map."""
    doc = db.responses.find_one({"_id": response_id(channel, call_sid)})
    if doc is None:
        link = db.call_sids.find_one({"_id": call_sid})
        if link is not None:
            doc = db.responses.find_one({"_id": response_id(channel, link["interaction_id"])})
    return doc


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
    value: Any = None,
    settle: bool = False,
) -> Outcome:
    """Apply `update` if question `key` has no answer or skip yet.

    With `settle` (the survey's last question) the same write completes the response.
    """
    if reached is not None:
        update = {**update, "$max": {"reached": reached}}
    in_call = update
    if settle:
        in_call = {
            **update,
            "$set": {**update["$set"], "status": "complete", "submitted_at": datetime.now(UTC)},
        }
    for _attempt in range(2):
        # The usual case, one round trip: the call is still open.
        open_call = {**_unanswered(meta, key), "status": OPEN}
        if db.responses.update_one(open_call, _touch(in_call, dirty=settle)).matched_count:
            return "stored"
        # A late write (a spool replay after the call ended) re-queues the settled response.
        if db.responses.update_one(
            _unanswered(meta, key), _touch(update, dirty=True)
        ).matched_count:
            return "stored"
        doc = db.responses.find_one(key_of(meta), {"answers": 1, "skipped": 1})
        if doc is None:  # the call's first write never landed (outage): create it now
            open_response(db, meta)
            continue
        if reached is not None:
            db.responses.update_one(key_of(meta), {"$max": {"reached": reached}})
        if key in doc.get("skipped", []):
            return "duplicate" if value is None else "conflict"
        return "duplicate" if doc.get("answers", {}).get(key) == value else "conflict"
    return "conflict"


def record_answer(
    db: Database,
    meta: Mapping[str, Any],
    key: str,
    qtype: str,
    value: Any,
    reached: int | None = None,
    settle: bool = False,
) -> Outcome:
    """Store one answer once; a second, different answer to the question is a "conflict"."""
    fields: dict[str, Any] = {f"answers.{key}": value, "last_question": key}
    if qtype in SCALES:
        fields[f"scores.{qtype}"] = int(value)  # what the rollups count, by metric
    return _change_once(db, meta, key, {"$set": fields}, reached, value, settle)


def record_skip(
    db: Database,
    meta: Mapping[str, Any],
    key: str,
    reached: int | None = None,
    settle: bool = False,
) -> Outcome:
    """Mark question `key` skipped (invalid keys, silence); idempotent."""
    update = {"$push": {"skipped": key}, "$set": {"last_question": key}}
    return _change_once(db, meta, key, update, reached, settle=settle)


def set_fields(db: Database, meta: Mapping[str, Any], fields: Mapping[str, Any]) -> None:
    """Set fields that nothing counts (a transcription arriving late); idempotent."""
    db.responses.update_one(key_of(meta), {"$set": dict(fields)})


def close_response(
    db: Database,
    meta: Mapping[str, Any],
    status: str,
    last_question: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bool:
    """Move an open response to a final status, once."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"unknown final status {status!r}")
    fields: dict[str, Any] = {"status": status, "submitted_at": datetime.now(UTC), **(extra or {})}
    if last_question is not None and status == "partial":
        fields["last_question_reached"] = last_question
    update = _touch({"$set": fields}, dirty=True)
    result = db.responses.update_one({**key_of(meta), "status": OPEN}, update)
    return result.modified_count == 1


def complete_doc(
    meta: Mapping[str, Any], answers: Mapping[str, Any], qtypes: Mapping[str, str]
) -> dict[str, Any]:
    """A whole, complete response document (without `_id`; see key_of)."""
    scores = {
        qtypes[k]: int(v) for k, v in answers.items() if qtypes.get(k) in SCALES and v is not None
    }
    return _new_doc(meta, "complete") | {
        "answers": dict(answers),
        "scores": scores,
        "submitted_at": meta.get("submitted_at") or datetime.now(UTC),
        "reached": len(qtypes),
    }


def record_complete_response(
    db: Database, meta: Mapping[str, Any], answers: Mapping[str, Any], qtypes: Mapping[str, str]
) -> bool:
    """Store a whole response at once (web form, demo data); False if it was already stored."""
    doc = complete_doc(meta, answers, qtypes)
    try:
        result = db.responses.update_one(key_of(meta), {"$setOnInsert": doc}, upsert=True)
    except DuplicateKeyError:
        return False
    return result.upserted_id is not None
