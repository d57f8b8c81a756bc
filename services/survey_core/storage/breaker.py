"""A short circuit breaker: after a database failure, fail fast for a few seconds.

Each attempt on a dead database costs the server-selection timeout. Without the breaker every
request in a burst waits that long in turn (16 concurrent report requests waited up to 8 s);
with it, the first failure answers for the next few seconds and the rest fail at once.
"""

from __future__ import annotations

import time

from pymongo.errors import (
    ConnectionFailure,
    ExecutionTimeout,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

# The PyMongo errors that mean "the database is not reachable right now", not a bug.
DATABASE_DOWN = (ConnectionFailure, ExecutionTimeout, WTimeoutError)


class DatabaseSkipped(ServerSelectionTimeoutError):
    """The breaker is open: the database was not tried (a kind of DATABASE_DOWN)."""


class Breaker:
    """Open for `cool_down_s` after `trip()`; one per process, shared by its threads."""

    def __init__(self, cool_down_s: float = 3.0) -> None:
        self.cool_down_s = cool_down_s
        self._until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self._until

    def trip(self, cause: BaseException | None = None) -> None:
        """Open for `cool_down_s` from now, unless `cause` is the breaker's own refusal
        (DatabaseSkipped): re-opening on those kept it open for as long as requests kept
        coming, long after the database was back."""
        if isinstance(cause, DatabaseSkipped):
            return
        self._until = time.monotonic() + self.cool_down_s

    def reset(self) -> None:
        self._until = 0.0

    def check(self) -> None:
        """Raise DatabaseSkipped while open."""
        if self.is_open():
            raise DatabaseSkipped("the database failed moments ago; not trying again yet")


breaker = Breaker()
