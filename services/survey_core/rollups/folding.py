"""Folding new events into the `responses` records and the monthly rollups, exactly once.

The worker follows a watermark over the events' insert time `at`: every event before
`fold_state.upto` is folded, none after. One batch (the events in [upto, now - lag)) is one
transaction: the records it touches are re-folded, the rollups take the difference between
what each record counted before and counts now, and the watermark moves on, conditioned on
where it stood. Two workers on the same batch write the same documents, so one of them meets a
write conflict or a moved watermark and starts over on a fresh read: several workers may run,
none counts twice. `plan` is pure and also serves reports, which fold the events past the
watermark in memory the same way, without writing.

A second watermark, `checked`, trails the first by a minute and folds every event once more:
an insert that stalled in the server past the lag (its client gave up and spooled it, the
server applied it later under its first `at`) lands behind `upto` and is folded then. Folding
an event twice changes nothing (records are joins; rollups take differences), and unchanged
records are not written, so the second pass costs reads only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from survey_core.responses import folding, followups, webhooks
from survey_core.responses.events import Kind, response_id
from survey_core.rollups.layout import Target
from survey_core.rollups.writes import Deltas
from survey_core.storage.transactions import in_transaction

log = logging.getLogger("voc.folding")
SurveyOf = Callable[[str, int], Mapping[str, Any] | None]
STATE_ID = "events"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAIN, RECHECK = "upto", "checked"  # the two watermarks of fold_state
MS = timedelta(milliseconds=1)


class WatermarkMoved(Exception):
    """Another worker folded this batch first; read again."""


@dataclass
class Plan:
    """What folding some events changes: records to write, counter deltas to add."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    deltas: Deltas = field(default_factory=Deltas)
    live: list[dict[str, Any]] = field(default_factory=list)  # {"_id"} alone: remove
    participations: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # response webhooks
    unhappy: list[dict[str, Any]] = field(default_factory=list)  # follow-ups to open


def _aliases_named(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Other ids of the same response, from open events (a call's CallSid, when the contact
    it is about has another id): `ivr:<CallSid>` -> `ivr:<interaction>`."""
    found = {}
    for ev in events:
        meta = ev.get("meta") or {}
        other = meta.get("call_sid")
        if ev["kind"] == Kind.OPEN and other and other != meta.get("interaction_id"):
            found[response_id(meta["channel"], other)] = ev["rid"]
    return found


def records_for(
    db: Database, events: Sequence[Mapping[str, Any]], session: ClientSession | None = None
) -> dict[str, dict[str, Any]]:
    """The stored records `events` may touch: theirs, their aliases', and those aliases name."""
    wanted = {ev["rid"] for ev in events} | set(_aliases_named(events))
    records: dict[str, dict[str, Any]] = {}
    while wanted:
        found = db.responses.find({"_id": {"$in": sorted(wanted)}}, session=session)
        records.update({doc["_id"]: doc for doc in found})
        wanted = {d["alias_of"] for d in records.values() if d.get("alias_of")} - set(records)
    return records


def plan(
    events: Sequence[Mapping[str, Any]],
    records: Mapping[str, Mapping[str, Any]],
    survey_of: SurveyOf,
    keep: Callable[[Target], bool] | None = None,
) -> Plan:
    """Fold `events` into their `records`: the new records and the rollup deltas (with
    `keep`, only the deltas of the rollup documents it accepts)."""
    aliases = {rid: doc["alias_of"] for rid, doc in records.items() if doc.get("alias_of")}
    aliases.update(_aliases_named(events))
    routed: dict[str, list[Mapping[str, Any]]] = {}
    for ev in events:
        routed.setdefault(aliases.get(ev["rid"], ev["rid"]), []).append(ev)
    result = Plan(deltas=Deltas(keep))
    for alias, target in aliases.items():
        orphan = records.get(alias)
        if orphan is not None and not orphan.get("alias_of"):
            # Something reached the other id before the response said it was its alias (a
            # status callback by CallSid, before the spooled open): its record joins the
            # response's, and what it counted is taken back.
            result.deltas.add(orphan, orphan.get("counted") or [], -1)
            if orphan.get("closed"):
                routed.setdefault(target, []).append(
                    {"kind": Kind.CLOSE, "reason": orphan["closed"], "meta": {}}
                )
        if orphan is None or not orphan.get("alias_of"):
            result.records[alias] = {"_id": alias, "alias_of": target, "counted": []}
    for rid, evs in routed.items():
        before = dict(records.get(rid) or folding.blank(rid))
        after = folding.fold(before, evs)
        survey = survey_of(after["survey"], after["version"]) if after.get("survey") else None
        folding.settle(after, survey)
        counted = folding.counters(after)
        if counted and not after.get("month"):
            log.error("response %s has no month; not counted", rid)
            counted = set()
        after["counted"] = sorted(counted)
        old = set(before.get("counted") or [])
        if old != counted:
            result.deltas.add(before, old, -1)
            result.deltas.add(after, counted, +1)
        if after != before:
            result.records[rid] = after
        entry = folding.live_entry(before, after)
        if entry is not None:
            result.live.append(entry)
        took_part = folding.participation(before, after)
        if took_part is not None:
            result.participations.append(took_part)
        if survey and survey.get("webhook_url") and webhooks.completed_now(before, after):
            result.deliveries.append(webhooks.delivery(after, survey["webhook_url"]))
        entry = followups.queued(before, after, survey)
        if entry is not None:
            result.unhappy.append(entry)
    return result


def _write_sides(db: Database, result: Plan, s: ClientSession) -> None:
    """The small lists beside the records: live conversations, callers' last participation."""
    if result.live:
        db.live.bulk_write(
            [
                ReplaceOne({"_id": e["_id"]}, e, upsert=True)
                if len(e) > 1
                else DeleteOne({"_id": e["_id"]})
                for e in result.live
            ],
            ordered=False,
            session=s,
        )
    if result.participations:
        ids = [p["_id"] for p in result.participations]
        latest = {d["_id"]: d for d in db.callers.find({"_id": {"$in": ids}}, session=s)}
        for took_part in result.participations:
            known = latest.get(took_part["_id"])
            if known is None or (took_part["started_at"] or EPOCH) > (known["started_at"] or EPOCH):
                latest[took_part["_id"]] = took_part
        writes = [ReplaceOne({"_id": h}, latest[h], upsert=True) for h in sorted(set(ids))]
        db.callers.bulk_write(writes, ordered=False, session=s)
    for collection, docs in (
        (db.followup_queue, result.unhappy),
        (db.webhook_deliveries, result.deliveries),
    ):
        if docs:  # once each, whatever re-folds: keyed by the response
            inserts = [UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in docs]
            collection.bulk_write(inserts, ordered=False, session=s)


def _batch(
    db: Database, upto: datetime, cutoff: datetime, limit: int, session: ClientSession
) -> tuple[list[dict[str, Any]], datetime]:
    """The events in [upto, cutoff), at most about `limit`, and where the batch ends."""
    query = {"at": {"$gte": upto, "$lt": cutoff}}
    events = list(db.events.find(query, session=session).sort("at", 1).limit(limit))
    if len(events) < limit:
        return events, cutoff
    last = events[-1]["at"]
    if last > upto:  # stop before the last instant: its events may go on past the limit
        return [ev for ev in events if ev["at"] < last], last
    return list(db.events.find({"at": upto}, session=session)), upto + MS


def fold_batch(
    db: Database,
    survey_of: SurveyOf,
    lag_s: float = 5.0,
    limit: int = 2000,
    now: datetime | None = None,
    watermark: str = MAIN,
) -> int:
    """Fold the next batch of events older than `lag_s` seconds past `watermark` (MAIN, or
    RECHECK: never past MAIN); returns how many events the batch held."""

    def work(s: ClientSession) -> int:
        state = db.fold_state.find_one({"_id": STATE_ID}, session=s) or {}
        mark = state.get(watermark) or EPOCH
        cutoff = (now or datetime.now(UTC)) - timedelta(seconds=lag_s)
        if watermark == RECHECK:
            cutoff = min(cutoff, state.get(MAIN) or EPOCH)
        if cutoff <= mark:
            return 0
        events, end = _batch(db, mark, cutoff, limit, s)
        changed = False
        if events:
            result = plan(events, records_for(db, events, s), survey_of)
            writes = [ReplaceOne({"_id": r}, doc, upsert=True) for r, doc in result.records.items()]
            if writes:
                db.responses.bulk_write(writes, ordered=False, session=s)
            increments = result.deltas.ops()
            if increments:
                db.rollups.bulk_write(increments, ordered=False, session=s)
            _write_sides(db, result, s)
            changed = bool(writes or increments)
            if changed and watermark == RECHECK:
                log.warning("folded late event(s) behind the watermark: %s", len(writes))
        moved = db.fold_state.update_one(
            {"_id": STATE_ID, watermark: state.get(watermark)},
            # `seq` moves when the rollups or records change: reports re-read then.
            {"$set": {watermark: end}, "$inc": {"seq": 1 if changed else 0}},
            upsert=not state,
            session=s,
        )
        if not (moved.matched_count or moved.upserted_id):
            raise WatermarkMoved
        return len(events)

    return in_transaction(db, work, budget_s=30.0)


def fold_all(
    db: Database,
    survey_of: SurveyOf,
    lag_s: float = 5.0,
    limit: int = 2000,
    watermark: str = MAIN,
    may_go_on: Callable[[], bool] = lambda: True,
) -> int:
    """Fold batches until none is left older than `lag_s` (or `may_go_on()` says stop, checked
    before each batch); returns how many events."""
    total = 0
    while may_go_on():
        try:
            done = fold_batch(db, survey_of, lag_s, limit, watermark=watermark)
        except WatermarkMoved:
            continue
        total += done
        if done == 0:
            break
    return total


def hold_lease(db: Database, owner: str, seconds: float, now: float | None = None) -> bool:
    """Take or renew the folding lease for `owner`; False while another owner holds it.

    Any number of workers fold correctly (the transactions see to that), but they fold the
    same batches and all but one start over: the lease lets one fold while the others wait,
    ready to take over within `seconds` if it stops.
    """
    now = time.time() if now is None else now
    try:
        result = db.locks.update_one(
            {"_id": "fold", "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
            {"$set": {"owner": owner, "until": now + seconds}},
            upsert=True,
        )
    except DuplicateKeyError:  # held by someone else: the upsert's insert collided
        return False
    return bool(result.matched_count or result.upserted_id)


def pending(db: Database) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The watermark state and the events past it (not folded yet)."""
    state = db.fold_state.find_one({"_id": STATE_ID}) or {}
    return state, unfolded(db, state)


def unfolded(db: Database, state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The events past the watermark of `state` (a fold_state document)."""
    return list(db.events.find({"at": {"$gte": state.get(MAIN) or EPOCH}}))
