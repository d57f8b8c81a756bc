"""What an IVR call writes, as idempotent records: applied now, or spooled and applied later."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from ivr_survey.flow import CallState, final_status, question_key_at
from ivr_survey.spool import Spool
from survey_core import responses
from survey_core.errors import DATABASE_DOWN
from survey_core.surveys import SurveyCatalog

log = logging.getLogger("voc.ivr.store")
NOT_REACHED = ("no-answer", "busy", "failed", "canceled")
catalog = SurveyCatalog()


class Breaker:
    """After a database failure, skip straight to the spool for a few seconds.

    Each attempt on a dead database costs the server-selection timeout; a caller should not
    wait for it on every keypress.
    """

    def __init__(self, cool_down_s: float = 3.0) -> None:
        self.cool_down_s = cool_down_s
        self._until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self._until

    def trip(self) -> None:
        self._until = time.monotonic() + self.cool_down_s

    def reset(self) -> None:
        self._until = 0.0


breaker = Breaker()


def meta_for(state: CallState, call_sid: str | None = None) -> dict:
    """The response's identity and dimensions, JSON-safe (it may go to the spool)."""
    meta: dict[str, Any] = {
        "channel": "ivr",
        "interaction_id": state.interaction,
        "survey": state.survey,
        "version": state.version,
        "agent_id": state.agent,
        "team": state.team,
        "reason": state.reason,
        "language": state.lang,
        "month": state.month,
        "started_at": state.started,
    }
    if call_sid and call_sid != state.interaction:
        # Only when it differs: a call's _id already names its CallSid by default, and every
        # indexed field costs on each write.
        meta["call_sid"] = call_sid
    if state.caller:
        meta["caller_hash"] = state.caller
    return meta


def _db_meta(meta: dict[str, Any]) -> dict[str, Any]:
    started = meta.get("started_at")
    if isinstance(started, int | float):
        meta = {**meta, "started_at": datetime.fromtimestamp(started, UTC)}
    return meta


def answer_record(state: CallState, key: str, qtype: str, reached: int) -> dict[str, Any]:
    if key in state.skipped:
        return {"op": "skip", "key": key, "reached": reached}
    return {
        "op": "answer",
        "key": key,
        "qtype": qtype,
        "value": state.answers[key],
        "reached": reached,
    }


def apply(db: Database, record: dict[str, Any]) -> Any:
    """Apply one record; each kind is idempotent, so a replay changes nothing."""
    meta = _db_meta(record.get("meta") or {})
    op = record["op"]
    if op == "open":
        return responses.open_response(db, meta, record["status"])
    if op == "answer":
        outcome = responses.record_answer(
            db,
            meta,
            record["key"],
            record["qtype"],
            record["value"],
            record.get("reached"),
            settle=record.get("settle", False),
        )
        if outcome == "conflict":
            log.warning(
                "ignored a second, different answer to %s in call %s",
                record["key"],
                meta.get("interaction_id"),
            )
        return outcome
    if op == "skip":
        return responses.record_skip(
            db, meta, record["key"], record.get("reached"), settle=record.get("settle", False)
        )
    if op == "transcription":
        return responses.set_fields(db, meta, {f"transcripts.{record['key']}": record["text"]})
    if op == "close":
        return close_call(db, meta, record["call_sid"], record["call_status"])
    raise ValueError(f"unknown record {op!r}")


def close_call(db: Database, meta: dict[str, Any], call_sid: str, call_status: str) -> str:
    """End of call: complete, partial at the question reached, or not reached at all."""
    if meta.get("interaction_id"):
        doc = responses.find_response(db, meta)
    else:
        doc = responses.find_by_call_sid(db, "ivr", call_sid) if call_sid else None
    if doc is None:
        if call_status in NOT_REACHED and meta.get("interaction_id"):
            responses.open_response(db, meta, "not_reached")
            return "not_reached"
        return "unknown_call"
    if doc["status"] != responses.OPEN:
        return doc["status"]
    survey = catalog.version(db, doc["survey"], doc["version"])
    if survey is None:
        return "unknown_survey"
    status = final_status(survey, doc.get("reached", 0))
    last = question_key_at(survey, doc.get("reached", 0)) if status == "partial" else None
    responses.close_response(db, doc, status, last_question=last)
    return status


def close_stale(db: Database, idle_minutes: float, now: datetime | None = None) -> int:
    """Settle calls with no news for `idle_minutes` (their status callback never came)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(minutes=idle_minutes)
    closed = 0
    for doc in db.responses.find(
        {"dirty": responses.DIRTY_OPEN},
        {"channel": 1, "updated_at": 1, "started_at": 1, "call_sid": 1, "interaction_id": 1},
    ):
        if doc["channel"] != "ivr" or (doc.get("updated_at") or doc["started_at"]) > cutoff:
            continue
        meta = {"channel": "ivr", "interaction_id": doc["interaction_id"]}
        if close_call(db, meta, doc.get("call_sid") or "", "completed") in ("complete", "partial"):
            closed += 1
    return closed


def persist(db: Database, spool: Spool, records: list[dict[str, Any]]) -> list[Any] | None:
    """Apply `records` in order and return their results; on a database outage spool the rest
    and return None."""
    results = []
    for i, record in enumerate(records):
        try:
            if breaker.is_open():
                raise DatabaseSkipped
            results.append(apply(db, record))
        except (*DATABASE_DOWN, DatabaseSkipped) as exc:
            if not isinstance(exc, DatabaseSkipped):
                breaker.trip()
            log.warning(
                "database unavailable (%s): %d write(s) spooled",
                type(exc).__name__,
                len(records) - i,
            )
            for rest in records[i:]:
                spool.put(rest)
            return None
    return results


class DatabaseSkipped(Exception):
    """The breaker is open: the write goes to the spool without trying the database."""
