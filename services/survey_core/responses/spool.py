"""A durable local spool for writes that could not reach the database; replayed in order."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pymongo.errors import PyMongoError, WriteError

log = logging.getLogger("voc.spool")


class Spool:
    """One fsynced JSON file per pending write, named so that sorting gives arrival order."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "dead").mkdir(exist_ok=True)

    def put(self, record: dict[str, Any]) -> Path:
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        final = self.dir / name
        os.replace(tmp, final)
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return final

    def pending(self) -> list[Path]:
        return sorted(self.dir.glob("[0-9]*.json"))

    def drain(self, apply: Callable[[dict[str, Any]], Any]) -> tuple[int, int]:
        """Replay spooled writes in order; stop at the first database error (down, or
        refusing for now); set aside in dead/ only a record that can never be written.

        Returns (written, still pending). One process drains at a time (a file lock);
        every write is idempotent, so a crash mid-drain cannot double-count.
        """
        with open(self.dir / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0, len(self.pending())
            written = 0
            for path in self.pending():
                try:
                    record = json.loads(path.read_text(encoding="utf-8"))
                    apply(record)
                except WriteError:  # the server refuses this very document: it always will
                    self._bury(path)
                    continue
                except PyMongoError:
                    # Down, a failed write concern, a transient refusal (HostUnreachable,
                    # NetworkTimeout...): the request path spooled the write on such an error
                    # and told the client it was taken, so keep it for the next round.
                    break
                except Exception:  # noqa: BLE001 - a poison record must not block the rest
                    self._bury(path)
                    continue
                path.unlink()
                written += 1
            return written, len(self.pending())

    def _bury(self, path: Path) -> None:
        log.exception("spooled write failed; moved to dead/: %s", path.name)
        path.replace(self.dir / "dead" / path.name)
