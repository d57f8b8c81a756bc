"""The rollups as one request sees them: stored counts plus the events not folded yet.

A report never writes. A `Snapshot` reads the folding watermark and the events past it once,
folds those in memory exactly as the worker will (`folding.plan`), and keeps the resulting
deltas shaped as rollup documents: histograms add, so a figure includes an answer the moment
its request returned. Every report of a request (a dashboard load runs several) reads its
stored documents through `rollups()`, which checks the watermark's `seq` after the read: if a
worker committed a batch since the snapshot was taken, the snapshot is taken again and the read
repeated, so nothing is counted twice or missed. While the worker keeps committing under every
try (a busy minute, a slow database), the last try reads everything (watermark, events,
records, rollups) inside one read-only transaction: one snapshot of the database, nothing to
check afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern

from survey_core.documents import Db
from survey_core.folding import reads
from survey_core.folding.plan import plan
from survey_core.rollups import layout
from survey_core.rollups.deltas import Deltas
from survey_core.surveys.catalog import SurveyOf

Doc = dict[str, Any]


class ReportsUnstable(RuntimeError):
    """The report could not be read from one state of the rollups; try again."""


# A report's read of stored rollup documents, in the transaction `session` when one is given.
Read = Callable[[ClientSession | None], Sequence[Mapping[str, Any]]]


def as_rollups(deltas: Deltas) -> list[tuple[layout.Target, Doc]]:
    """Deltas shaped as rollup documents (a cell's with its dimension fields), to merge."""
    return [
        (
            target,
            {
                "month": target[0],
                "dim": target[1],
                "value": target[2],
                **deltas.cells[target],
                **layout.nest(counters),
            },
        )
        for target, counters in deltas.nonzero().items()
    ]


class Snapshot:
    """One request's view of the rollups (`db`, and `survey_of` for the records' surveys)."""

    def __init__(self, db: Db, survey_of: SurveyOf, attempts: int = 3) -> None:
        self.db = db
        self.survey_of = survey_of
        self.attempts = attempts
        self._seq: Any = None
        self._unfolded: list[tuple[layout.Target, Doc]] | None = None
        self.takes = 0  # how many times the unfolded events were read (tests, benchmarks)

    def _take(self, session: ClientSession | None = None) -> None:
        state = reads.watermark_state(self.db, session)
        events = reads.admitted(self.db, reads.unfolded(self.db, state, session), session)
        records = reads.records_for(self.db, events, session)
        self._seq = state.get("seq")
        self._unfolded = as_rollups(plan(events, records, self.survey_of).deltas)
        self.takes += 1

    def rollups(self, read: Read, keep: Callable[[layout.Target], bool]) -> list[Mapping[str, Any]]:
        """`read()` of stored rollup documents plus the unfolded ones `keep` accepts, from one
        state of the folding watermark."""
        for _ in range(self.attempts):
            if self._unfolded is None:
                self._take()
            stored = read(None)
            if reads.seq(self.db) == self._seq:
                return self._with_unfolded(stored, keep)
            self._unfolded = None  # a batch was folded meanwhile: take the snapshot again
        return self._in_one_transaction(read, keep)

    def _with_unfolded(
        self, stored: Sequence[Mapping[str, Any]], keep: Callable[[layout.Target], bool]
    ) -> list[Mapping[str, Any]]:
        assert self._unfolded is not None
        return [*stored, *(doc for target, doc in self._unfolded if keep(target))]

    def _in_one_transaction(
        self, read: Read, keep: Callable[[layout.Target], bool]
    ) -> list[Mapping[str, Any]]:
        """The snapshot and the read in one read-only transaction (snapshot read concern)."""
        try:
            with self.db.client.start_session() as session:
                session.start_transaction(read_concern=ReadConcern("snapshot"))
                try:
                    self._take(session)
                    stored = read(session)
                finally:
                    session.abort_transaction()  # nothing was written: nothing to commit
        except OperationFailure as exc:  # a snapshot the server no longer holds, a conflict
            raise ReportsUnstable(f"the rollups could not be read at once: {exc}") from None
        return self._with_unfolded(stored, keep)
