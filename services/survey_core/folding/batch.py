"""Folding new events into the `responses` records and the monthly rollups, exactly once.

The worker follows a watermark over the events' insert time `at`: every event before
`fold_state.upto` is folded, none after. One batch (the events in [upto, now - lag)) is one
transaction: the records it touches are re-folded, the rollups take the difference between
what each record counted before and counts now, and the watermark moves on, conditioned on
where it stood. Two workers on the same batch write the same documents, so one of them meets a
write conflict or a moved watermark and starts over on a fresh read: several workers may run,
none counts twice. `plan` is pure and also serves reports, which fold the events past the
watermark in memory the same way, without writing (`folding.plan`, `folding.reads`).

A second watermark, `checked`, trails the first by a minute and folds every event once more:
an insert that stalled in the server past the lag (its client gave up and spooled it, the
server applied it later under its first `at`) lands behind `upto` and is folded then. Folding
an event twice changes nothing (records are joins; rollups take differences), and unchanged
records are not written, so the second pass costs reads only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReplaceOne
from pymongo.client_session import ClientSession

from survey_core.documents import Db
from survey_core.folding.plan import plan
from survey_core.folding.reads import EPOCH, MAIN, RECHECK, STATE_ID, records_for
from survey_core.folding.sides import write_sides
from survey_core.rollups.increments import increments_of
from survey_core.storage.transactions import in_transaction
from survey_core.surveys.catalog import SurveyOf

log = logging.getLogger("voc.folding")
MS = timedelta(milliseconds=1)


class WatermarkMoved(Exception):
    """Another worker folded this batch first; read again."""


def _batch(
    db: Db, upto: datetime, cutoff: datetime, limit: int, session: ClientSession
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
    db: Db,
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
            increments = increments_of(result.deltas)
            if increments:
                db.rollups.bulk_write(increments, ordered=False, session=s)
            write_sides(db, result, s)
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
    db: Db,
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
