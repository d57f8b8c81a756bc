"""Which training sessions are closed, as this process last read them: a closed session's links
are refused promptly without a read per request.

A session's state is read at most once every `ttl` seconds per process (and a closed session
is never read again: it cannot reopen). So a link may be taken up to `ttl` seconds after its
session closed on another process; such an evaluation is stored but never counted: the worker
and the reports fold no evaluation submitted after its session closed (`folding.reads`).
"""

from __future__ import annotations

import threading
import time

from survey_core.documents import Db
from survey_core.training.sessions import is_closed

MAX_REMEMBERED = 10_000  # sessions whose state is kept; the oldest reading is dropped first


class ClosedSessions:
    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._read: dict[str, tuple[float, bool]] = {}  # session id -> (when read, closed)
        self._lock = threading.Lock()

    def is_closed(self, db: Db, session_id: str | None) -> bool:
        if not session_id:
            return False
        now = time.monotonic()
        known = self._read.get(session_id)
        if known is not None and (known[1] or now - known[0] < self.ttl):
            return known[1]
        closed = is_closed(db, session_id)
        self.remember(session_id, closed, now)
        return closed

    def remember(self, session_id: str, closed: bool, now: float | None = None) -> None:
        """Note a session's state (a close through this process is known at once)."""
        with self._lock:
            if len(self._read) >= MAX_REMEMBERED and session_id not in self._read:
                oldest = min(self._read, key=lambda s: self._read[s][0])
                del self._read[oldest]
            self._read[session_id] = (time.monotonic() if now is None else now, closed)
