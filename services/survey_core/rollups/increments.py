"""The bulk writes that add counter deltas to the rollups and list new values in directories."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import UpdateOne

from survey_core.rollups.deltas import Deltas
from survey_core.rollups.layout import (
    CELL,
    DIMENSIONS,
    DIRECTORY,
    OPTIONAL_DIMENSIONS,
    directory_id,
    rollup_id,
)


def increments_of(deltas: Deltas, guard: str | None = None) -> list[UpdateOne]:
    """One upsert per rollup document, then the directory entries of new values.

    With `guard` (an import batch id) each rollup document takes the increments at most
    once: the upsert matches only a document that has not recorded the batch in `imports`,
    and a duplicate-key answer then means "already added".
    """
    ops = []
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for target, counters in sorted(deltas.nonzero().items()):
        month, dim, value = target
        seen[month][dim].add(value)
        query: dict[str, Any] = {"_id": rollup_id(*target)}
        on_insert: dict[str, Any] = {
            "month": month,
            "dim": dim,
            "value": value,
            **deltas.cells.get(target, {}),
        }
        if dim == CELL:
            on_insert["cell_month"] = month  # the sparse index of cells
        update: dict[str, Any] = {"$inc": counters, "$setOnInsert": on_insert}
        if guard:
            query["imports"] = {"$ne": guard}
            update["$addToSet"] = {"imports": guard}
        ops.append(UpdateOne(query, update, upsert=True))
    return ops + directory_updates(seen)


def directory_updates(seen: Mapping[str, Mapping[str, Iterable[str]]]) -> list[UpdateOne]:
    """Record the values seen per (month, dimension) in the directory documents (idempotent)."""
    return [
        UpdateOne(
            {"_id": directory_id(month, dim)},
            {
                "$addToSet": {"values": {"$each": sorted(values)}},
                "$setOnInsert": {"month": month, "dim": DIRECTORY, "value": dim},
            },
            upsert=True,
        )
        for month, dims in sorted(seen.items())
        for dim, values in sorted(dims.items())
        if (dim in DIMENSIONS or dim in OPTIONAL_DIMENSIONS) and values
    ]
