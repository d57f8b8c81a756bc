"""Counter deltas summed per rollup document (pure: `rollups.increments` turns them into writes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from survey_core.rollups.layout import Target, targets


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
