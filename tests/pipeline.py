"""Test helpers that write events the way the channels do, and fold them as the worker does."""

from __future__ import annotations

from typing import Any

from ops.worker import survey_lookup
from survey_core.folding.batch import fold_all
from survey_core.responses import events
from survey_core.responses.events import Kind

QTYPES = {"csat": "csat", "nps": "nps", "ces": "ces"}


def fold(db) -> int:
    """Fold every stored event now (no lag: the test wrote them all already)."""
    return fold_all(db, survey_lookup(db), lag_s=0)


def submit(db, meta: dict[str, Any], answers: dict[str, Any], qtypes=QTYPES) -> str:
    return events.insert(db, events.event(Kind.SUBMIT, meta, answers=answers, qtypes=qtypes))


def opened(db, meta: dict[str, Any], status: str = "in_progress") -> str:
    return events.insert(db, events.event(Kind.OPEN, meta, status=status))


def answered(db, meta, key, value, reached, done=False, qtype=None) -> str:
    ev = events.event(
        Kind.ANSWER, meta, key, qtype=qtype or key, value=value, reached=reached, done=done
    )
    return events.insert(db, ev)


def closed(db, meta: dict[str, Any], reason: str = "completed") -> str:
    return events.insert(db, events.event(Kind.CLOSE, meta, end_reason=reason))


def rollup(db, dim="all", value="*", month=None):
    """The stored rollup document after folding every event."""
    fold(db)
    query = {"dim": dim, "value": value, **({"month": month} if month else {})}
    return db.rollups.find_one(query) or {}
