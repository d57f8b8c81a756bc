"""The commands the apps send to the database, recorded: for tests that count round trips or
prove that a request writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

from pymongo import MongoClient, monitoring

import survey_core.storage.client as storage

WRITES = {"insert", "update", "delete", "findAndModify", "findandmodify", "bulkWrite"}


class Commands(monitoring.CommandListener):
    """Each command as (its name, the collection it names)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen.append((event.command_name, str(event.command.get(event.command_name))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def writes(self) -> list[tuple[str, str]]:
        return [(name, target) for name, target in self.seen if name in WRITES]


def watching(uri: str, name: str, monkeypatch) -> Iterator[Commands]:
    """Point every app's database (`storage.database`) at a client that records commands."""
    commands = Commands()
    client = MongoClient(uri, event_listeners=[commands], tz_aware=True)
    monkeypatch.setattr(storage, "database", lambda settings, timeout_ms=None: client[name])
    yield commands
    client.close()
