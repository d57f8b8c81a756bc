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
    NetworkTimeout,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

# The PyMongo errors that mean "the database is not reachable right now", not a bug.
DATABASE_DOWN = (ConnectionFailure, ExecutionTimeout, WTimeoutError)
# An answer that came too late for its request's deadline: the database may be up and one
# request heavy. One alone does not open the breaker (it turned one slow report into several
# 503s for the requests after it); a second within the cool-down does.
TOO_SLOW = (NetworkTimeout, ExecutionTimeout)


class DatabaseSkipped(ServerSelectionTimeoutError):
    """The breaker is open: the database was not tried (a kind of DATABASE_DOWN)."""


class Breaker:
    """Open for `cool_down_s` after `trip()`; one per process, shared by its threads."""

    def __init__(self, cool_down_s: float = 3.0) -> None:
        self.cool_down_s = cool_down_s
        self._until = 0.0
        self._slow_at = -float("inf")  # when the last too-slow answer came

    def is_open(self) -> bool:
        return time.monotonic() < self._until

    def trip(self, cause: BaseException | None = None) -> None:
        """Open for `cool_down_s` from now, unless `cause` is the breaker's own refusal
        (DatabaseSkipped: re-opening on those kept it open for as long as requests kept
        coming, long after the database was back) or the first answer in a while that came
        too late (TOO_SLOW)."""
        if isinstance(cause, DatabaseSkipped):
            return
        now = time.monotonic()
        if isinstance(cause, TOO_SLOW):
            slow_before, self._slow_at = self._slow_at, now
            if now - slow_before > self.cool_down_s:
                return  # the first too-slow answer in a while: one heavy request, not an outage
        self._until = now + self.cool_down_s

    def reset(self) -> None:
        self._until = 0.0
        self._slow_at = -float("inf")

    def check(self) -> None:
        """Raise DatabaseSkipped while open."""
        if self.is_open():
            raise DatabaseSkipped("the database failed moments ago; not trying again yet")


breaker = Breaker()
