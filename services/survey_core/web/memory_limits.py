"""The `memory://` rate-limit storage without a timer thread per request.

limits' MemoryStorage starts a `threading.Timer` to sweep expired counters whenever none is
running: under load that is a new thread every ~10 ms, and starting one waits until the
thread runs, about 0.8 ms of a 3 ms request. Fixed-window counters expire lazily on read
anyway (`get`), so here the sweep runs inline, in the request that finds it due, at most once
a second: the same counts, memory still bounded, no thread. Declaring the `memory` scheme
makes this the class `memory://` names in this process (limits registers storages by scheme).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from typing import Any

from limits.storage import MemoryStorage, Storage

SWEEP_EVERY_S = 1.0


class InlineSweepMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        self.storage: Counter[str] = Counter()
        self.locks: defaultdict[str, threading.RLock] = defaultdict(threading.RLock)
        self.expirations: dict[str, float] = {}
        self.events: dict[str, list[Any]] = {}
        self.timer = threading.Timer(0.01, lambda: None)  # never started
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()
        Storage.__init__(self, uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides the private
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_EVERY_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweeping.release()
