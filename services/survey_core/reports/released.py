"""The release rule of training figures: trainee anonymity against differencing.

A session's evaluations count in a figure or comment anyone can read (the session's own figures,
its trainer's month, the ranking, the dashboard) only once its evaluation window has closed
(closed early, or every link expired) and only with at least ANONYMITY_MIN evaluations. A closed
session with fewer is withheld everywhere: its count is shown, never its scores or comments. An
open session shows nothing of its evaluations, not even how many there are. So no figure a
reader can watch ever moves by one trainee's evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from survey_core.reports import queries
from survey_core.reports.snapshot import Snapshot
from survey_core.statuses import Status

DIMENSION = "session"


class Release(StrEnum):
    OPEN = "open"  # the window is open: nothing is shown
    WITHHELD = "withheld"  # closed with fewer than ANONYMITY_MIN evaluations: the count only
    RELEASED = "released"  # closed with enough: counts everywhere


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window_closed(session: Mapping[str, Any], now: datetime) -> bool:
    """Closed early, or every link of the session has expired."""
    if session.get("closed_at") is not None:
        return True
    expires = session.get("links_expire_at")
    return expires is not None and _utc(expires) <= now


def release_of(session: Mapping[str, Any], answered: int, minimum: int, now: datetime) -> Release:
    if not window_closed(session, now):
        return Release.OPEN
    return Release.RELEASED if answered >= minimum else Release.WITHHELD


@dataclass
class SessionFigures:
    session: dict[str, Any]
    counters: dict[str, Any]  # merged rollup counters of its evaluations (ratings, nps, funnel)
    release: Release

    @property
    def answered(self) -> int:
        return int((self.counters.get("funnel") or {}).get(Status.COMPLETE.value, 0))


def sessions_of_month(
    snap: Snapshot,
    month: str,
    minimum: int,
    trainer_id: str | None = None,
    now: datetime | None = None,
) -> list[SessionFigures]:
    """The month's sessions (of one trainer, if named) with their counters and release."""
    now = now or datetime.now(UTC)
    query: dict[str, Any] = {"month": month}
    if trainer_id is not None:
        query["trainer_id"] = trainer_id
    found = list(snap.db.training_sessions.find(query).sort("held_at", 1).limit(5000))
    counters = queries.by_value(snap, month, DIMENSION) if found else {}
    out = []
    for session in found:
        mine = counters.get(session["_id"]) or queries.merge_docs([])
        answered = int(mine["funnel"].get(Status.COMPLETE.value, 0))
        out.append(SessionFigures(session, mine, release_of(session, answered, minimum, now)))
    return out


def released_by_trainer(figures: Iterable[SessionFigures]) -> dict[str, dict[str, Any]]:
    """Per trainer, the counters of their released sessions added (sessions count too)."""
    grouped: dict[str, list[SessionFigures]] = {}
    for fig in figures:
        grouped.setdefault(str(fig.session["trainer_id"]), []).append(fig)
    out = {}
    for trainer_id, figs in grouped.items():
        released = [f for f in figs if f.release is Release.RELEASED]
        merged = queries.merge_docs(f.counters for f in released)
        merged["sessions"] = len(released)
        merged["sessions_withheld"] = sum(1 for f in figs if f.release is Release.WITHHELD)
        merged["sessions_open"] = sum(1 for f in figs if f.release is Release.OPEN)
        out[trainer_id] = merged
    return out
