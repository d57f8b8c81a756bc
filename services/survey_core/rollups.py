"""Write-time monthly histograms: one document per (month, dimension, value), updated by $inc."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import UpdateOne

# Response field behind each reporting dimension.
DIMENSIONS: dict[str, str] = {
    "channel": "channel",
    "agent": "agent_id",
    "team": "team",
    "reason": "reason",
    "survey": "survey",
}
METRICS = ("csat", "nps", "ces")
ALL = ("all", "*")
UNKNOWN = "(none)"


def cell_fields(response: Mapping[str, Any]) -> dict[str, str]:
    """The full dimension tuple of a response: the key of its finest-grained rollup cell."""
    return {dim: str(response.get(field) or UNKNOWN) for dim, field in DIMENSIONS.items()}


def targets(response: Mapping[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """Every rollup document an event of `response` counts in: all, each dimension, its cell.

    The per-dimension documents answer single-filter reports and breakdowns by reading one
    document per value; the cell documents answer combined filters.
    """
    cell = cell_fields(response)
    rows: list[tuple[str, str, dict[str, str]]] = [(ALL[0], ALL[1], {})]
    rows += [(dim, value, {}) for dim, value in cell.items()]
    rows.append(("cell", "|".join(cell.values()), cell))
    return rows


def rollup_id(month: str, dim: str, value: str) -> str:
    return f"{month}|{dim}|{value}"


def increments(
    month: str, response: Mapping[str, Any], counters: Mapping[str, int]
) -> list[UpdateOne]:
    """Upserts adding `counters` (e.g. {"csat.5": 1, "funnel.completed": 1}) to every target."""
    if not counters:
        return []
    return [
        UpdateOne(
            {"_id": rollup_id(month, dim, value)},
            {
                "$inc": dict(counters),
                "$setOnInsert": {"month": month, "dim": dim, "value": value, **cell},
            },
            upsert=True,
        )
        for dim, value, cell in targets(response)
    ]


def answer_counter(metric: str, score: int) -> dict[str, int]:
    """The histogram counter for one scored answer."""
    return {f"{metric}.{score}": 1}


def merge_counters(items: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Sum counter dictionaries."""
    total: dict[str, int] = {}
    for item in items:
        for key, value in item.items():
            total[key] = total.get(key, 0) + value
    return total
