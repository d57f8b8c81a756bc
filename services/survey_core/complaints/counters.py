"""Per-category complaint counters: one document per hour holding its minutes, one per day
holding its hours, and the category's total. A window of up to a day is two hour documents and
at most two day documents; a week and a day, ten. All are read by `_id`, whatever the history.

    <category>|hm|<epoch hour>  {n, m: {"0".."59": count}}   minutes of that hour
    <category>|dh|<epoch day>   {n, h: {"0".."23": count}}   hours of that day (UTC)
    <category>|all              {n}                          every writer of the category
                                                             writes it: they take turns

A complaint reads its windows' documents and the three it adds to in one query (`read`), adds
itself to those three in memory and writes them whole (`added`, in the write that stores the
complaint): inside a transaction a
concurrent writer of the category conflicts on the total, so no count is lost, and a whole
document written costs the embedded database less than `$inc` into a document of many fields.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ReplaceOne
from pymongo.client_session import ClientSession

from survey_core import keys
from survey_core.documents import Db
from survey_core.storage.lookups import delete_in

HOUR, DAY = 60, 1440
HOURS_A_DAY = DAY // HOUR
# Beside the counters, the version of the rule set in force (read with the counts).
RULES_MARK = "rules"
HOUR_DOC, DAY_DOC, TOTAL = "hm", "dh", "all"


@functools.lru_cache(maxsize=4096)  # a complaint names ~30 of them, mostly the same
def counter_id(category: str, unit: str, index: int | None = None) -> str:
    """The counter document of one hour (`hm`), one day (`dh`) or all time (`all`)."""
    return keys.encode([category, unit] if index is None else [category, unit, index], "|")


def total_id(category: str) -> str:
    return counter_id(category, TOTAL)


def own(category: str, minute: int) -> list[str]:
    """The documents one complaint at `minute` adds to: its hour, its day, the total."""
    return [
        counter_id(category, HOUR_DOC, minute // HOUR),
        counter_id(category, DAY_DOC, minute // DAY),
        total_id(category),
    ]


def added(
    docs: dict[str, dict[str, Any]], category: str, minute: int, namespace: str | None = None
) -> list[ReplaceOne[dict[str, Any]]]:
    """Add one complaint at `minute` to the documents read (`docs`, by `_id`, changed in place:
    counts made from them afterwards include it) and give the writes that store them whole
    (naming `namespace`, for a write across collections)."""
    hour_id, day_id, all_id = own(category, minute)
    hour = docs.setdefault(hour_id, {"_id": hour_id, "n": 0, "m": {}})
    hour["n"] = hour.get("n", 0) + 1
    by_minute = hour.setdefault("m", {})
    by_minute[str(minute % HOUR)] = by_minute.get(str(minute % HOUR), 0) + 1
    day = docs.setdefault(day_id, {"_id": day_id, "n": 0, "h": {}})
    day["n"] = day.get("n", 0) + 1
    by_hour = day.setdefault("h", {})
    key = str(minute // HOUR % HOURS_A_DAY)
    by_hour[key] = by_hour.get(key, 0) + 1
    total = docs.setdefault(all_id, {"_id": all_id, "n": 0})
    total["n"] = total.get("n", 0) + 1
    return [
        ReplaceOne({"_id": i}, docs[i], upsert=True, namespace=namespace)
        for i in (hour_id, day_id, all_id)
    ]


def needed(category: str, first: int, last: int) -> set[str]:
    """The documents that add up to minutes first..last (inclusive, epoch minutes): the hours
    at either end by minute, the whole hours between from their days."""
    if first > last:
        return set()
    head, tail = first // HOUR, last // HOUR
    ids = {counter_id(category, HOUR_DOC, head), counter_id(category, HOUR_DOC, tail)}
    if tail - head > 1:
        first_day, last_day = (head + 1) // HOURS_A_DAY, (tail - 1) // HOURS_A_DAY
        ids |= {counter_id(category, DAY_DOC, d) for d in range(first_day, last_day + 1)}
    return ids


def _minutes(doc: Mapping[str, Any] | None, first: int, last: int) -> int:
    """Complaints in minutes first..last (0-59) of an hour's document."""
    if doc is None:
        return 0
    if first == 0 and last == HOUR - 1:
        return int(doc.get("n", 0))
    # The minutes stored (a few), not the 60 a window may span.
    return sum(int(n) for m, n in (doc.get("m") or {}).items() if first <= int(m) <= last)


def _hours(doc: Mapping[str, Any] | None, first: int, last: int) -> int:
    """Complaints in hours first..last (0-23) of a day's document."""
    if doc is None:
        return 0
    if first == 0 and last == HOURS_A_DAY - 1:
        return int(doc.get("n", 0))
    return sum(int(n) for h, n in (doc.get("h") or {}).items() if first <= int(h) <= last)


def count(docs: Mapping[str, Mapping[str, Any]], category: str, first: int, last: int) -> int:
    """Complaints of minutes first..last from the documents `needed` named (by `_id`)."""
    if first > last:
        return 0
    head, tail = first // HOUR, last // HOUR

    def hour_doc(hour: int) -> Mapping[str, Any] | None:
        return docs.get(counter_id(category, HOUR_DOC, hour))

    if head == tail:
        return _minutes(hour_doc(head), first % HOUR, last % HOUR)
    total = _minutes(hour_doc(head), first % HOUR, HOUR - 1)
    total += _minutes(hour_doc(tail), 0, last % HOUR)
    # The whole hours between, a day's document at a time (a week's window: eight of them).
    hour = head + 1
    while hour < tail:
        day = hour // HOURS_A_DAY
        until = min(tail - 1, day * HOURS_A_DAY + HOURS_A_DAY - 1)
        doc = docs.get(counter_id(category, DAY_DOC, day))
        total += _hours(doc, hour % HOURS_A_DAY, until % HOURS_A_DAY)
        hour = until + 1
    return total


def read(
    db: Db,
    category: str,
    windows: Iterable[tuple[int, int]],
    session: ClientSession | None,
    minute: int | None = None,
) -> tuple[dict[str, dict[str, Any]], str | None]:
    """In one query: the documents the (first, last) windows of `category` need, those a
    complaint at `minute` adds to, and the version of the rule set in force (None before any
    was stored). The documents come by `_id`, the rules' mark apart."""
    ids = set().union(*(needed(category, *w) for w in windows)) | {RULES_MARK}
    if minute is not None:
        ids.update(own(category, minute))
    found = db.complaint_counts.find({"_id": {"$in": sorted(ids)}}, session=session)
    docs = {d["_id"]: d for d in found}
    version = (docs.pop(RULES_MARK, None) or {}).get("version")
    return docs, version


def counts(
    db: Db, category: str, windows: Iterable[tuple[int, int]], session: ClientSession | None
) -> tuple[dict[tuple[int, int], int], str | None]:
    """The complaints of `category` in each (first, last) window, and the version of the rule
    set in force (None before any was stored), from one read."""
    wanted = set(windows)
    docs, version = read(db, category, wanted, session)
    return {w: count(docs, category, *w) for w in wanted}, version


def documents(minutes: Mapping[tuple[str, int], int]) -> list[dict[str, Any]]:
    """The counter documents of complaints counted by (category, minute): what the increments
    of those complaints add up to (a rebuild, a benchmark's history)."""
    hours: dict[str, dict[str, Any]] = {}
    days: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    for (category, minute), n in minutes.items():
        hour = minute // HOUR
        h = hours.setdefault(counter_id(category, HOUR_DOC, hour), {"n": 0, "m": {}})
        h["n"] += n
        h["m"][str(minute % HOUR)] = h["m"].get(str(minute % HOUR), 0) + n
        d = days.setdefault(counter_id(category, DAY_DOC, minute // DAY), {"n": 0, "h": {}})
        d["n"] += n
        d["h"][str(hour % HOURS_A_DAY)] = d["h"].get(str(hour % HOURS_A_DAY), 0) + n
        totals[total_id(category)] += n
    docs = [{"_id": k, **v} for k, v in (hours | days).items()]
    return docs + [{"_id": k, "n": n} for k, n in totals.items()]


def rebuild(db: Db) -> int:
    """Recompute every counter from the complaints stored (their category in force and minute)
    and remove documents of any other form; returns how many counter documents there are.
    Run while no complaint is being recorded (`surveyctl db migrate`)."""
    pipeline = [{"$group": {"_id": {"c": "$category_in_force", "m": "$minute"}, "n": {"$sum": 1}}}]
    groups = db.complaints.aggregate(pipeline)
    minutes = {(g["_id"]["c"], int(g["_id"]["m"])): g["n"] for g in groups}
    docs = documents(minutes)
    for first in range(0, len(docs), 1000):
        chunk = docs[first : first + 1000]
        writes = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in chunk]
        db.complaint_counts.bulk_write(writes, ordered=False)
    kept = {d["_id"] for d in docs} | {RULES_MARK}
    stale = [d["_id"] for d in db.complaint_counts.find({}, {"_id": 1}) if d["_id"] not in kept]
    delete_in(db.complaint_counts, "_id", stale)
    return len(docs)
