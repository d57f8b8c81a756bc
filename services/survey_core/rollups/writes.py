"""Counter deltas summed per rollup document, and the writes that add them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pymongo import UpdateOne

from survey_core.rollups.layout import (
    CELL,
    DIMENSIONS,
    DIRECTORY,
    OPTIONAL_DIMENSIONS,
    Target,
    directory_id,
    rollup_id,
    targets,
)


class Deltas:
    """Counter changes per rollup document, with each cell's dimension fields; with `keep`,
    only for the documents it accepts (a report needs a few of them)."""

    def __init__(self, keep: Callable[[Target], bool] | None = None) -> None:
        self.totals: dict[Target, dict[str, int]] = defaultdict(dict)
        self.cells: dict[Target, dict[str, str]] = {}
        self.keep = keep

    def add(self, response: Mapping[str, Any], counters: Iterable[str], times: int = 1) -> None:
        """Add one response's `counters` `times` over (-1: take them away) in all its
        documents."""
        counters = list(counters)
        if not counters:
            return
        for target, cell in targets(response):
            if self.keep is not None and not self.keep(target):
                continue
            self.cells[target] = cell
            bucket = self.totals[target]
            for counter in counters:
                bucket[counter] = bucket.get(counter, 0) + times

    def nonzero(self) -> dict[Target, dict[str, int]]:
        out = {}
        for target, bucket in self.totals.items():
            kept = {k: v for k, v in bucket.items() if v}
            if kept:
                out[target] = kept
        return out

    def ops(self, guard: str | None = None) -> list[UpdateOne]:
        """One upsert per rollup document, then the directory entries of new values.

        With `guard` (an import batch id) each rollup document takes the increments at most
        once: the upsert matches only a document that has not recorded the batch in `imports`,
        and a duplicate-key answer then means "already added".
        """
        ops = []
        seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for target, counters in sorted(self.nonzero().items()):
            month, dim, value = target
            seen[month][dim].add(value)
            query: dict[str, Any] = {"_id": rollup_id(*target)}
            on_insert: dict[str, Any] = {
                "month": month,
                "dim": dim,
                "value": value,
                **self.cells.get(target, {}),
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
