"""Folds settled responses into the monthly rollups, exactly once, in batched transactions.

A response counts once it is settled (any status but in_progress). What it contributes is a set
of counter names derived from the document itself (`expected_counters`); the document keeps the
set already added to the rollups in `counted`. The roller adds the difference and records it in
one transaction, guarded by the document's `rev`, so a crash, a retry or two rollers at once can
neither skip nor double a count. Batching turns many responses' increments into a few upserts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from survey_core import rollups
from survey_core.transactions import in_transaction

log = logging.getLogger("voc.roller")
# Only `dirty` is queried (its sparse index answers it); open calls are filtered out in Python.
DIRTY = {"dirty": True}
OPENED_AS = {"suppressed", "not_sampled", "not_reached"}


class BatchRaced(Exception):
    """A response changed between read and commit; the batch is re-read and retried."""


def expected_counters(doc: Mapping[str, Any]) -> set[str]:
    """Every rollup counter a settled response adds one to."""
    status = doc.get("status")
    if status == "in_progress":
        return set()
    counters = {"funnel.offered"}
    if status in OPENED_AS:
        counters.add(f"funnel.{status}")
        return counters
    counters |= {"funnel.started", f"funnel.{status}"}
    if status == "partial" and doc.get("last_question_reached"):
        counters.add(f"funnel.partial_at.{doc['last_question_reached']}")
    for metric, score in (doc.get("scores") or {}).items():
        if metric in rollups.METRICS and score is not None:
            counters.add(f"{metric}.{int(score)}")
    return counters


def increments_for(docs: Iterable[Mapping[str, Any]], guard: str | None = None) -> list[UpdateOne]:
    """Sum each document's new counters into one upsert per rollup document.

    With `guard` (an import batch id) each rollup document takes the increments at most once:
    the upsert matches only a document that has not recorded the batch in `imports`, and a
    duplicate-key answer then means "already added".
    """
    totals: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    cells: dict[tuple[str, str, str], dict[str, str]] = {}
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for doc in docs:
        new = expected_counters(doc) - set(doc.get("counted") or [])
        if not new:
            continue
        for dim, value, cell in rollups.targets(doc):
            key = (doc["month"], dim, value)
            cells[key] = cell
            seen[doc["month"]][dim].add(value)
            bucket = totals[key]
            for counter in new:
                bucket[counter] = bucket.get(counter, 0) + 1
    ops = []
    for key, counters in sorted(totals.items()):
        query: dict[str, Any] = {"_id": rollups.rollup_id(*key)}
        update: dict[str, Any] = {
            "$inc": counters,
            "$setOnInsert": {"month": key[0], "dim": key[1], "value": key[2], **cells[key]},
        }
        if key[1] == "cell":
            update["$setOnInsert"]["cell_month"] = key[0]  # the sparse index of cells
        if guard:
            query["imports"] = {"$ne": guard}
            update["$addToSet"] = {"imports": guard}
        ops.append(UpdateOne(query, update, upsert=True))
    return ops + directory_updates(seen)


def directory_updates(seen: Mapping[str, Mapping[str, Iterable[str]]]) -> list[UpdateOne]:
    """Record the values seen per (month, dimension) in the directory documents (idempotent)."""
    return [
        UpdateOne(
            {"_id": rollups.directory_id(month, dim)},
            {
                "$addToSet": {"values": {"$each": sorted(values)}},
                "$setOnInsert": {"month": month, "dim": rollups.DIRECTORY, "value": dim},
            },
            upsert=True,
        )
        for month, dims in sorted(seen.items())
        for dim, values in sorted(dims.items())
        if dim in rollups.DIMENSIONS and values
    ]


def roll_batch(db: Database, limit: int = 500) -> int:
    """Fold up to `limit` dirty settled responses into the rollups; returns how many.

    The batch is read inside the transaction and every mark bumps the response's `rev`: two
    rollers on the same responses write the same documents, so one of them meets a write
    conflict and retries on a fresh read, where the responses are no longer dirty.
    """

    def work(s: ClientSession) -> int:
        docs = [
            d
            for d in db.responses.find(DIRTY, session=s).limit(limit)
            if d.get("status") != "in_progress"
        ]
        if not docs:
            return 0
        marks = [
            UpdateOne(
                {"_id": d["_id"], "rev": d.get("rev", 0)},
                {
                    "$set": {"counted": sorted(expected_counters(d))},
                    "$unset": {"dirty": ""},
                    "$inc": {"rev": 1},
                },
            )
            for d in docs
        ]
        result = db.responses.bulk_write(marks, ordered=False, session=s)
        if result.modified_count != len(marks):
            raise BatchRaced
        increments = increments_for(docs)
        if increments:
            db.rollups.bulk_write(increments, ordered=False, session=s)
        return len(docs)

    return in_transaction(db, work, budget_s=10.0)


def roll_up(db: Database, limit: int = 500, attempts: int = 20) -> int:
    """Fold every dirty settled response in; returns how many were folded."""
    total = 0
    for _ in range(attempts):
        try:
            done = roll_batch(db, limit)
        except BatchRaced:
            continue  # someone wrote to one of them meanwhile: read the batch again
        if not done:
            break
        total += done
    return total


def hold_lease(db: Database, owner: str, seconds: float, now: float | None = None) -> bool:
    """Take or renew the roller lease for `owner`; False while another owner holds it.

    Any number of rollers would be correct (the transactions see to that), but one at a time
    wastes no work on conflicting batches.
    """
    now = time.time() if now is None else now
    try:
        result = db.locks.update_one(
            {"_id": "roller", "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
            {"$set": {"owner": owner, "until": now + seconds}},
            upsert=True,
        )
    except DuplicateKeyError:  # held by someone else: the upsert's insert collided
        return False
    return bool(result.matched_count or result.upserted_id)


def start_roller(get_db: Callable[[], Database], every_s: float = 1.0) -> None:
    """Roll up in a daemon thread every `every_s` seconds; the process holding the lease does."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def loop() -> None:
        while True:
            try:
                db = get_db()
                if hold_lease(db, owner, seconds=5 * every_s):
                    roll_up(db)
            except Exception as exc:  # noqa: BLE001 - outlive database outages
                log.warning("roll-up deferred: %s", type(exc).__name__)
            time.sleep(every_s)

    threading.Thread(target=loop, name="rollup-roller", daemon=True).start()
