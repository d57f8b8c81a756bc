"""Monthly histograms: one document per (month, dimension, value), added to by the roller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


DIRECTORY = "dir"


def directory_id(month: str, dim: str) -> str:
    """The document listing the values of `dim` seen in `month`."""
    return rollup_id(month, DIRECTORY, dim)
