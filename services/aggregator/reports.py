"""Monthly metrics, breakdowns and the funnel, read from the rollups (a handful of documents)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from survey_core import rollups, scoring
from survey_core.roller import roll_up

FILTER_DIMS = tuple(rollups.DIMENSIONS)  # channel, agent, team, reason, survey
FUNNEL_KEYS = (
    "offered",
    "not_sampled",
    "suppressed",
    "not_reached",
    "started",
    "complete",
    "partial",
    "abandoned",
)


def catch_up(db: Database) -> None:
    """Fold settled responses the roller has not reached yet, so a report is never stale."""
    try:
        roll_up(db, attempts=3)
    except PyMongoError:
        pass  # the roller thread will; the report shows what is folded in


def _merge_docs(docs: list[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {m: scoring.merge(d.get(m) for d in docs) for m in rollups.METRICS}
    funnel: dict[str, Any] = {}
    partial_at: dict[str, int] = {}
    for doc in docs:
        for key, value in (doc.get("funnel") or {}).items():
            if key == "partial_at":
                for question, count in value.items():
                    partial_at[question] = partial_at.get(question, 0) + count
            else:
                funnel[key] = funnel.get(key, 0) + value
    funnel["partial_at"] = partial_at
    merged["funnel"] = funnel
    return merged


def monthly_docs(
    db: Database, months: list[str], filters: Mapping[str, str | None]
) -> dict[str, dict[str, Any]]:
    """Merged rollup counters per month for the given dimension filters."""
    active = {dim: value for dim, value in filters.items() if value}
    by_month: dict[str, list[Mapping[str, Any]]] = {m: [] for m in months}
    if len(active) <= 1:
        dim, value = next(iter(active.items())) if active else rollups.ALL
        ids = [rollups.rollup_id(m, dim, value) for m in months]
        for doc in db.rollups.find({"_id": {"$in": ids}}):
            by_month[doc["month"]].append(doc)
    else:  # combined filters: the month's finest cells, matched here
        for month in months:
            for doc in db.rollups.find({"cell_month": month}):
                if all(doc.get(dim) == value for dim, value in active.items()):
                    by_month[month].append(doc)
    return {month: _merge_docs(docs) for month, docs in by_month.items()}


def responses_count(funnel: Mapping[str, Any]) -> int:
    """Responses taken: complete, partial and abandoned."""
    return sum(int(funnel.get(k, 0)) for k in ("complete", "partial", "abandoned"))


def metric_row(counters: Mapping[str, Any], interval: str) -> dict[str, Any]:
    return {
        "responses": responses_count(counters["funnel"]),
        "csat": scoring.csat(counters["csat"]),
        "nps": scoring.nps(counters["nps"], interval),
        "ces": scoring.ces(counters["ces"]),
    }


def monthly(
    db: Database, months: list[str], filters: Mapping[str, str | None], interval: str
) -> list[dict[str, Any]]:
    """One row per month (every month present, empty ones with n = 0)."""
    catch_up(db)
    docs = monthly_docs(db, months, filters)
    return [{"month": month, **metric_row(docs[month], interval)} for month in months]


def _sort_key(row: Mapping[str, Any]) -> tuple:
    value = row["csat"]["value"]
    return (value is None, -(value or 0), -row["responses"], row["value"])


def breakdown(db: Database, month: str, by: str, min_n: int, interval: str) -> list[dict[str, Any]]:
    """One row per value of dimension `by`, best CSAT first; rows under `min_n` left out."""
    catch_up(db)
    rows = []
    directory = db.rollups.find_one({"_id": rollups.directory_id(month, by)}) or {}
    ids = [rollups.rollup_id(month, by, value) for value in directory.get("values", [])]
    for doc in db.rollups.find({"_id": {"$in": ids}}) if ids else []:
        counters = _merge_docs([doc])
        row = {"value": doc["value"], **metric_row(counters, interval)}
        if row["responses"] >= min_n:
            rows.append(row)
    rows.sort(key=_sort_key)
    return rows


def funnel(db: Database, month: str, channel: str | None) -> dict[str, Any]:
    """How many were offered a survey, left out, started, completed, or stopped where."""
    catch_up(db)
    counters = monthly_docs(db, [month], {"channel": channel})[month]["funnel"]
    result: dict[str, Any] = {"month": month, "channel": channel}
    result.update({key: int(counters.get(key, 0)) for key in FUNNEL_KEYS})
    result["completed"] = result.pop("complete")  # the reporting contract's word
    result["partial_at"] = dict(sorted(counters.get("partial_at", {}).items()))
    offered, started = result["offered"], result["started"]
    taken = result["completed"] + result["partial"]
    result["response_rate"] = taken / offered if offered else None
    result["completion_rate"] = result["completed"] / started if started else None
    return result
