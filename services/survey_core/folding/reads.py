"""What a fold reads: the watermark state, the events past it, the records they touch.

Reads only: reports import this module (and the pure `plan`), never the worker's writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.client_session import ClientSession

from survey_core.documents import Db
from survey_core.folding.plan import aliases_named
from survey_core.responses.events import Kind
from survey_core.storage.lookups import find_in

STATE_ID = "events"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAIN, RECHECK = "upto", "checked"  # the two watermarks of fold_state


def watermark_state(db: Db, session: ClientSession | None = None) -> dict[str, Any]:
    """The fold_state document ({} before the first fold)."""
    return db.fold_state.find_one({"_id": STATE_ID}, session=session) or {}


def seq(db: Db) -> Any:
    """The watermark's `seq`: it moves whenever a fold changed the records or rollups."""
    return (db.fold_state.find_one({"_id": STATE_ID}, {"seq": 1}) or {}).get("seq")


def records_for(
    db: Db, events: Sequence[Mapping[str, Any]], session: ClientSession | None = None
) -> dict[str, dict[str, Any]]:
    """The stored records `events` may touch: theirs, their aliases', and those aliases name."""
    wanted = {ev["rid"] for ev in events} | set(aliases_named(events))
    records: dict[str, dict[str, Any]] = {}
    while wanted:
        found = find_in(db.responses, "_id", sorted(wanted), session=session)
        records.update({doc["_id"]: doc for doc in found})
        wanted = {d["alias_of"] for d in records.values() if d.get("alias_of")} - set(records)
    return records


def pending(db: Db) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The watermark state and the events past it (not folded yet)."""
    state = db.fold_state.find_one({"_id": STATE_ID}) or {}
    return state, unfolded(db, state)


def unfolded(
    db: Db, state: Mapping[str, Any], session: ClientSession | None = None
) -> list[dict[str, Any]]:
    """The events past the watermark of `state` (a fold_state document)."""
    return list(db.events.find({"at": {"$gte": state.get(MAIN) or EPOCH}}, session=session))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def admitted(
    db: Db, events: Sequence[Mapping[str, Any]], session: ClientSession | None = None
) -> list[Mapping[str, Any]]:
    """The events a fold takes: all but a training evaluation submitted after its session
    closed (a link taken in the moment a process had not yet seen the close, or spooled and
    replayed after it): a closed session's figures never move (the release rule)."""
    sessions = {
        ev["meta"]["session_id"]
        for ev in events
        if ev["kind"] == Kind.SUBMIT and (ev.get("meta") or {}).get("session_id")
    }
    if not sessions:
        return list(events)
    closed = {
        doc["_id"]: _utc(doc["closed_at"])
        for doc in find_in(
            db.training_sessions,
            "_id",
            sorted(sessions),
            {"closed_at": {"$ne": None}},
            {"closed_at": 1},
            session,
        )
    }
    return [ev for ev in events if not _after_close(ev, closed)]


def _after_close(ev: Mapping[str, Any], closed: Mapping[str, datetime]) -> bool:
    session_id = (ev.get("meta") or {}).get("session_id")
    if ev["kind"] != Kind.SUBMIT or not isinstance(session_id, str) or session_id not in closed:
        return False
    return ev.get("at") is not None and _utc(ev["at"]) > closed[session_id]
