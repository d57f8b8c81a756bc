"""Per-category complaint counters by minute, hour and day: a window of any length (up to a
week and a day) is a few dozen documents read by `_id`, whatever the history."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from survey_core import keys

HOUR, DAY = 60, 1440
# Beside the counters, the version of the rule set in force (read with the counts).
RULES_MARK = "rules"


def counter_id(category: str, unit: str, index: int) -> str:
    """The counter of one minute, hour or day (`unit` m, h, d) of a category."""
    return keys.encode([category, unit, index], "|")


def bucket_ids(category: str, first: int, last: int) -> list[str]:
    """The counter documents that add up to minutes first..last (inclusive, epoch minutes):
    whole days, then whole hours, then single minutes."""
    ids, minute = [], first
    while minute <= last:
        if minute % DAY == 0 and minute + DAY - 1 <= last:
            ids.append(counter_id(category, "d", minute // DAY))
            minute += DAY
        elif minute % HOUR == 0 and minute + HOUR - 1 <= last:
            ids.append(counter_id(category, "h", minute // HOUR))
            minute += HOUR
        else:
            ids.append(counter_id(category, "m", minute))
            minute += 1
    return ids


def total_id(category: str) -> str:
    """The category's total: every writer of the category updates it, so they take turns."""
    return keys.encode([category, "all"], "|")


def increments(category: str, minute: int) -> list[UpdateOne]:
    """One complaint at `minute`, in its minute, hour and day, and the category's total (which
    every writer of the category updates, so they take turns)."""
    ids = (
        counter_id(category, "m", minute),
        counter_id(category, "h", minute // HOUR),
        counter_id(category, "d", minute // DAY),
        total_id(category),
    )
    return [UpdateOne({"_id": i}, {"$inc": {"n": 1}}, upsert=True) for i in ids]


def counts(
    db: Database, category: str, windows: Iterable[tuple[int, int]], session: ClientSession | None
) -> tuple[dict[tuple[int, int], int], str | None]:
    """The complaints of `category` in each (first, last) window, and the version of the rule
    set in force (None before any was stored), from one read."""
    wanted = {w: bucket_ids(category, *w) for w in set(windows)}
    ids = sorted({i for found in wanted.values() for i in found} | {RULES_MARK})
    stored: dict[str, int] = {}
    version = None
    for d in db.complaint_counts.find({"_id": {"$in": ids}}, session=session):
        if d["_id"] == RULES_MARK:
            version = d.get("version")
        else:
            stored[d["_id"]] = d["n"]
    return {w: sum(stored.get(i, 0) for i in found) for w, found in wanted.items()}, version
