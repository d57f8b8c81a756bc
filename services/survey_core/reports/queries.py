"""Monthly metrics, breakdowns and the funnel, read from a `Snapshot` (the stored rollups plus
the events not folded yet, folded in memory once per request). Reads only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.client_session import ClientSession

from survey_core import scoring
from survey_core.reports.snapshot import Snapshot
from survey_core.responses.record import METRICS
from survey_core.rollups import layout
from survey_core.statuses import FINAL, LEFT_OUT, Status
from survey_core.storage.lookups import find_in

FILTER_DIMS = tuple(layout.DIMENSIONS)  # channel, agent, team, reason, survey
# The funnel's counters, in report order: offered, left out (by why), started, ended (by how).
FUNNEL_KEYS = ("offered", *(s.value for s in LEFT_OUT), "started", *(s.value for s in FINAL))
Doc = Mapping[str, Any]


def merge_docs(docs: Iterable[Doc]) -> dict[str, Any]:
    """Histograms and funnel counters of several rollup documents, added."""
    docs = list(docs)
    merged: dict[str, Any] = {m: scoring.merge(d.get(m) for d in docs) for m in METRICS}
    keys = {key for d in docs for key in (d.get("ratings") or {})}
    merged["ratings"] = {
        k: scoring.merge((d.get("ratings") or {}).get(k) for d in docs) for k in keys
    }
    funnel: dict[str, Any] = {}
    partial_at: dict[str, int] = {}
    for doc in docs:
        for key, value in (doc.get("funnel") or {}).items():
            if key == "partial_at":
                for question, count in value.items():
                    partial_at[question] = partial_at.get(question, 0) + count
            else:
                funnel[key] = funnel.get(key, 0) + value
    funnel["partial_at"] = {q: n for q, n in partial_at.items() if n}
    merged["funnel"] = funnel
    low_reasons: dict[str, dict[str, int]] = {}  # {metric: {low-score reason: count}}
    for doc in docs:
        for metric, counts in (doc.get("low_reasons") or {}).items():
            into = low_reasons.setdefault(metric, {})
            for value, count in counts.items():
                into[value] = into.get(value, 0) + count
    merged["low_reasons"] = low_reasons
    return merged


def _matches(doc: Doc, filters: Mapping[str, str]) -> bool:
    return all(doc.get(dim) == value for dim, value in filters.items())


def monthly_docs(
    snap: Snapshot, months: list[str], filters: Mapping[str, str | None]
) -> dict[str, dict[str, Any]]:
    """Merged counters per month for the given dimension filters."""
    db = snap.db
    active = {dim: value for dim, value in filters.items() if value}
    wanted = set(months)
    if len(active) <= 1:
        dim, value = next(iter(active.items())) if active else layout.ALL

        def read(session: ClientSession | None) -> list[Doc]:
            ids = [layout.rollup_id(m, dim, value) for m in months]
            return list(db.rollups.find({"_id": {"$in": ids}}, session=session))

        def keep(target: layout.Target) -> bool:
            return target[1] == dim and target[2] == value
    else:  # combined filters: the month's finest cells, matched here

        def read(session: ClientSession | None) -> list[Doc]:
            return [d for m in months for d in db.rollups.find({"cell_month": m}, session=session)]

        def keep(target: layout.Target) -> bool:
            return target[1] == layout.CELL and _matches(layout.cell_of(target[2]), active)

    found = snap.rollups(read, lambda t: t[0] in wanted and keep(t))
    by_month: dict[str, list[Doc]] = {m: [] for m in months}
    for doc in found:
        if doc["month"] in wanted and keep((doc["month"], doc["dim"], doc["value"])):
            by_month[doc["month"]].append(doc)
    return {month: merge_docs(docs) for month, docs in by_month.items()}


def responses_count(funnel: Mapping[str, Any]) -> int:
    """Responses taken: complete, partial and abandoned."""
    return sum(int(funnel.get(status.value, 0)) for status in FINAL)


def metric_row(counters: Mapping[str, Any], interval: str) -> dict[str, Any]:
    return {
        "responses": responses_count(counters["funnel"]),
        "csat": scoring.csat(counters["csat"]),
        "nps": scoring.nps(counters["nps"], interval),
        "ces": scoring.ces(counters["ces"]),
    }


def monthly(
    snap: Snapshot,
    months: list[str],
    filters: Mapping[str, str | None],
    interval: str,
) -> list[dict[str, Any]]:
    """One row per month (every month present, empty ones with n = 0)."""
    docs = monthly_docs(snap, months, filters)
    return [{"month": month, **metric_row(docs[month], interval)} for month in months]


def _sort_key(row: Mapping[str, Any]) -> tuple[bool, float, int, str]:
    value = row["csat"]["value"]
    return (value is None, -(value or 0), -row["responses"], row["value"])


def breakdown(
    snap: Snapshot, month: str, by: str, min_n: int, interval: str
) -> list[dict[str, Any]]:
    """One row per value of dimension `by`, best CSAT first; rows under `min_n` left out."""
    rows = []
    for value, counters in by_value(snap, month, by).items():
        row = {"value": value, **metric_row(counters, interval)}
        if row["responses"] >= min_n:
            rows.append(row)
    rows.sort(key=_sort_key)
    return rows


def by_value(snap: Snapshot, month: str, by: str) -> dict[str, dict[str, Any]]:
    """Merged counters of every value of dimension `by` in `month` (its directory lists them):
    O(values) documents read, whatever the number of responses."""
    db = snap.db

    def read(session: ClientSession | None) -> list[Doc]:
        directory_id = layout.directory_id(month, by)
        directory = db.rollups.find_one({"_id": directory_id}, session=session) or {}
        ids = [layout.rollup_id(month, by, value) for value in directory.get("values", [])]
        return list(find_in(db.rollups, "_id", ids, session=session))

    docs: dict[str, list[Doc]] = {}
    for doc in snap.rollups(read, lambda t: t[0] == month and t[1] == by):
        if doc["month"] == month and doc["dim"] == by:
            docs.setdefault(doc["value"], []).append(doc)
    return {value: merge_docs(found) for value, found in docs.items()}


def funnel(snap: Snapshot, month: str, channel: str | None) -> dict[str, Any]:
    """How many were offered a survey, left out, started, completed, or stopped where."""
    counters = monthly_docs(snap, [month], {"channel": channel})[month]["funnel"]
    result: dict[str, Any] = {"month": month, "channel": channel}
    result.update({key: int(counters.get(key, 0)) for key in FUNNEL_KEYS})
    result["completed"] = result.pop(Status.COMPLETE.value)  # the reporting contract's word
    result["partial_at"] = dict(sorted(counters.get("partial_at", {}).items()))
    offered, started = result["offered"], result["started"]
    taken = result["completed"] + result["partial"]
    result["response_rate"] = taken / offered if offered else None
    result["completion_rate"] = result["completed"] / started if started else None
    return result
