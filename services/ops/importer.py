"""Historical survey results from CSV: bulk upserts, idempotent on re-run, rollups updated."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from pymongo.database import Database
from pymongo.errors import BulkWriteError

from survey_core import keys
from survey_core.fields import storable
from survey_core.follow_ups.queue import queued
from survey_core.months import month_of
from survey_core.responses import dimensions, events, record
from survey_core.responses.events import Kind
from survey_core.rollups.deltas import Deltas
from survey_core.rollups.increments import increments_of
from survey_core.storage.lookups import find_in
from survey_core.surveys.schema import CHANNELS, SCALES

# The contact's dimensions are columns by name (`responses.dimensions.CONTACT`).
CONTACT_COLUMNS = tuple(d.name for d in dimensions.CONTACT)
COLUMNS = ("interaction_id", "datetime", "channel", *CONTACT_COLUMNS, "csat", "nps", "ces")
# An imported response answered these questions, keyed (as in the rollups) by metric.
IMPORTED_QUESTIONS = {metric: metric for metric in ("csat", "nps", "ces")}
CHANNEL_ALIASES = {
    "phone": "ivr",
    "voice": "ivr",
    "call": "ivr",
    "telephone": "ivr",
    "e-mail": "email",
    "mail": "email",
    "webchat": "chat",
    "text": "sms",
}
ALIASES = {
    "interaction": "interaction_id",
    "date_time": "datetime",
    "date-time": "datetime",
    "date": "datetime",
    "agent_id": "agent",
}


@dataclass
class ImportSummary:
    rows: int = 0
    loaded: int = 0
    already_present: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def skip(self, line: int, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < 20:
            self.examples.append(f"line {line}: {reason}")


def _score(raw: str, metric: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    value = float(raw)
    low, high = SCALES[metric]
    if not value.is_integer() or not low <= value <= high:
        raise ValueError(f"{metric} {raw!r} is not a whole number from {low} to {high}")
    return int(value)


def parse_datetime(raw: str, tz: ZoneInfo) -> datetime:
    """ISO 8601; without an offset it is read in the contact centre's time zone."""
    moment = datetime.fromisoformat(raw.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def row_to_doc(row: dict[str, str], tz: ZoneInfo, survey: str) -> dict[str, Any]:
    """The response document of one CSV row; ValueError says why a row is unusable."""
    interaction = (row.get("interaction_id") or "").strip()
    if not interaction:
        raise ValueError("no interaction id")
    if len(interaction) > 128:
        raise ValueError("interaction id longer than 128 characters")
    channel = (row.get("channel") or "").strip().lower()
    channel = CHANNEL_ALIASES.get(channel, channel)
    if channel not in CHANNELS:
        raise ValueError(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    try:
        moment = parse_datetime(row.get("datetime") or "", tz)
    except ValueError:
        raise ValueError(f"date-time {row.get('datetime')!r} is not ISO 8601") from None
    for name in ("interaction_id", *CONTACT_COLUMNS):
        if not storable((row.get(name) or "").strip()):
            raise ValueError(f"{name} holds a control character or a line break")
    scores = {m: _score(row.get(m, ""), m) for m in ("csat", "nps", "ces")}
    scores = {m: v for m, v in scores.items() if v is not None}
    if not scores:
        raise ValueError("no score")
    meta = {
        "channel": channel,
        "interaction_id": interaction,
        "survey": survey,
        "version": 0,
        **{d.field: (row.get(d.name) or "").strip() or None for d in dimensions.CONTACT},
        "month": month_of(moment, tz),
        "started_at": moment,
        "submitted_at": moment,
    }
    doc = submitted_record(meta, scores, IMPORTED_QUESTIONS)
    doc["imported"] = True
    return doc


def submitted_record(
    meta: dict[str, Any], answers: dict[str, Any], qtypes: dict[str, str]
) -> dict[str, Any]:
    """The complete record of a whole questionnaire, folded as the worker would fold it."""
    submit = events.event(Kind.SUBMIT, meta, answers=answers, qtypes=qtypes)
    doc = record.fold(record.blank(submit["rid"]), [{**submit, "at": meta["submitted_at"]}])
    doc = record.settle(doc, None)
    doc["counted"] = sorted(record.counters(doc))
    return doc


def _rows(handle: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    if reader.fieldnames is None:
        return
    names = [
        ALIASES.get(n.strip().lower().lstrip("\ufeff"), n.strip().lower().lstrip("\ufeff"))
        for n in reader.fieldnames
    ]
    missing = [c for c in ("interaction_id", "datetime", "channel") if c not in names]
    if missing:
        raise ValueError(f"the CSV has no column {', '.join(missing)}")
    reader.fieldnames = names
    for row in reader:
        yield reader.line_num, row


def _responses(
    db: Database, ids: list[str], projection: dict[str, int] | None = None
) -> Iterator[dict[str, Any]]:
    """The stored responses of `ids` (a bounded `$in` at a time: `storage.lookups`)."""
    return find_in(db.responses, "_id", ids, None, projection)


def _batch_id(ids: list[str]) -> str:
    return hashlib.sha256(keys.encode(sorted(ids), "\n").encode()).hexdigest()[:24]


def _apply_batch(db: Database, batch: str, docs: list[dict[str, Any]]) -> None:
    """Add a batch's rollup increments, each rollup document at most once per batch.

    A rollup document records the batches it has taken (`imports`); the upsert matches only
    documents without this batch, and a duplicate-key answer means "already added".
    """
    deltas = Deltas()
    for doc in docs:
        deltas.add(doc, doc["counted"])
    ops = increments_of(deltas, guard=batch)
    if not ops:
        return
    try:
        db.rollups.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
            raise


def _finish_batch(db: Database, batch: str, docs: list[dict[str, Any]] | None = None) -> None:
    """Add a batch's increments (again, harmlessly) and mark it done."""
    if docs is None:
        ids = (db.import_batches.find_one({"_id": batch}) or {}).get("ids", [])
        docs = [d for d in _responses(db, ids) if d.get("import_batch") == batch]
    _apply_batch(db, batch, docs)
    db.import_batches.update_one({"_id": batch}, {"$set": {"done": True}})


def queue_follow_ups(db: Database, docs: Iterable[dict[str, Any]]) -> int:
    """Queue the unhappy ones of `docs` for a follow-up, each once; returns how many."""
    entries = [e for doc in docs if (e := queued({}, doc, None)) is not None]
    for entry in entries:
        db.followup_queue.update_one({"_id": entry["_id"]}, {"$setOnInsert": entry}, upsert=True)
    return len(entries)


def import_rows(
    db: Database,
    handle: TextIO,
    tz: ZoneInfo,
    survey: str = "imported",
    batch: int = 50000,
    progress: Callable[[int], None] | None = None,
    open_follow_ups: bool = False,
) -> ImportSummary:
    """Load a CSV of past results; a re-run (same interaction ids) adds nothing.

    Past results open no follow-up (they were handled, or not, when they happened); with
    `open_follow_ups` each new unhappy one is queued as a live response's is (by the same
    rule, keyed by the response: once), and the worker opens it with its complaint.

    Per batch of rows: the new responses are inserted already counted, tagged with the batch's
    id, then the batch's rollup increments are added under a per-batch guard, then the batch is
    marked done. A crash anywhere in between is repaired by the next run: a batch that is not
    done gets its increments added (the guard keeps them from being added twice).
    """
    summary = ImportSummary()
    seen: set[str] = set()
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if not pending:
            return
        ids = [doc["_id"] for doc in pending]
        present = {
            d["_id"]: d.get("import_batch") for d in _responses(db, ids, {"import_batch": 1})
        }
        for earlier in {b for b in present.values() if b}:
            if not (db.import_batches.find_one({"_id": earlier}) or {}).get("done"):
                _finish_batch(db, earlier)  # an interrupted run's batch
        new = [dict(doc) for doc in pending if doc["_id"] not in present]
        if new:
            batch_id = _batch_id([doc["_id"] for doc in new])
            db.import_batches.update_one(
                {"_id": batch_id},
                {
                    "$setOnInsert": {
                        "done": False,
                        "rows": len(new),
                        "ids": [doc["_id"] for doc in new],  # for an interrupted run's repair
                        "created_at": datetime.now(UTC),
                    }
                },
                upsert=True,
            )
            for doc in new:
                doc["import_batch"] = batch_id
            raced = False
            try:
                db.responses.insert_many(new, ordered=False)
            except BulkWriteError as exc:  # a concurrent run inserted some: theirs count
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise
                raced = True
            _finish_batch(db, batch_id, None if raced else new)
            if open_follow_ups:
                queue_follow_ups(db, new)
        summary.loaded += len(new)
        summary.already_present += len(pending) - len(new)
        if progress:
            progress(len(pending))
        pending.clear()

    for line, row in _rows(handle):
        summary.rows += 1
        try:
            doc = row_to_doc(row, tz, survey)
        except ValueError as exc:
            summary.skip(line, str(exc))
            if progress:
                progress(1)
            continue
        if doc["_id"] in seen:
            summary.skip(line, "interaction id repeated in the file")
            continue
        seen.add(doc["_id"])
        pending.append(doc)
        if len(pending) >= batch:
            flush()
    flush()
    return summary


def count_rows(lines: Iterable[str]) -> int:
    """Data rows in a CSV file (for the progress bar)."""
    return max(0, sum(1 for _ in lines) - 1)
