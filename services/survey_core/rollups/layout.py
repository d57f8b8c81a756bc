"""Where counts live: one rollup document per (month, dimension, value), plus directories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_core import keys
from survey_core.responses import dimensions
from survey_core.responses.record import METRICS

# Response field behind each customer dimension (`responses.dimensions`): a document per value,
# and the cell's key.
DIMENSIONS: dict[str, str] = dimensions.CUSTOMER
# Dimensions only some responses have (a training evaluation's trainer and session): a
# document per value, not part of the cell (combined filters do not name them).
OPTIONAL_DIMENSIONS: dict[str, str] = dimensions.TRAINING
ALL = ("all", "*")
TRAINING_CHANNEL = dimensions.TRAINING_CHANNEL
UNKNOWN = "(none)"
CELL = "cell"
DIRECTORY = "dir"
COUNTER_GROUPS = (*METRICS, "ratings", "funnel", "low_reasons")
Target = tuple[str, str, str]  # (month, dim, value)


def cell_fields(response: Mapping[str, Any]) -> dict[str, str]:
    """The full dimension tuple of a response: the key of its finest-grained rollup cell."""
    return {dim: str(response.get(field) or UNKNOWN) for dim, field in DIMENSIONS.items()}


def cell_value(cell: Mapping[str, str]) -> str:
    """The `value` of a cell document: its dimension values, in DIMENSIONS order, as one key
    (`survey_core.keys`: no two dimension tuples share a cell)."""
    return keys.encode((cell[dim] for dim in DIMENSIONS), "|")


def cell_of(value: str) -> dict[str, str]:
    """The dimension values a cell's `value` stands for ({} for a value of another form: an
    old cell not migrated yet, which no filter should match)."""
    found = keys.decode(value, "|")
    return dict(zip(DIMENSIONS, found, strict=True)) if len(found) == len(DIMENSIONS) else {}


def is_training(response: Mapping[str, Any]) -> bool:
    """A trainee's evaluation (the training channel, or a session's): never a customer's."""
    return bool(
        response.get("channel") == TRAINING_CHANNEL
        or any(response.get(field) for field in OPTIONAL_DIMENSIONS.values())
    )


def targets(response: Mapping[str, Any]) -> list[tuple[Target, dict[str, str]]]:
    """Every rollup document a response counts in: a customer's in all, each dimension and
    its cell; a trainee's evaluation only in its trainer's and its session's.

    The per-dimension documents answer single-filter reports and breakdowns by reading one
    document per value; the cell documents answer combined filters. Customer figures read
    these only, so they never include training; training has figures of its own.
    """
    month = response["month"]
    rows: list[tuple[Target, dict[str, str]]] = [
        ((month, dim, str(response[field])), {})
        for dim, field in OPTIONAL_DIMENSIONS.items()
        if response.get(field)
    ]
    if is_training(response):
        return rows
    cell = cell_fields(response)
    rows.append(((month, *ALL), {}))
    rows += [((month, dim, value), {}) for dim, value in cell.items()]
    rows.append(((month, CELL, cell_value(cell)), cell))
    return rows


def rollup_id(month: str, dim: str, value: str) -> str:
    """A rollup document's `_id`: month and dimension escaped, the value as it is."""
    return keys.encode([month, dim, value], "|", tail=True)


def directory_id(month: str, dim: str) -> str:
    """The document listing the values of `dim` seen in `month`."""
    return rollup_id(month, DIRECTORY, dim)


def nest(counters: Mapping[str, int]) -> dict[str, Any]:
    """Dotted counters ({"csat.5": 2, "funnel.partial_at.nps": 1}) as a rollup's nested fields."""
    out: dict[str, Any] = {}
    for name, count in counters.items():
        *path, leaf = name.split(".")
        node = out
        for step in path:
            node = node.setdefault(step, {})
        node[leaf] = node.get(leaf, 0) + count
    return out


def flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, int]:
    """Counter fields of a rollup document as dotted names: {"csat.5": 3, ...}."""
    out: dict[str, int] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif prefix or key in COUNTER_GROUPS:
            out[name] = int(value)
    return out


def counters_of(doc: Mapping[str, Any]) -> dict[str, int]:
    """The non-zero counters a rollup document holds."""
    groups = {k: doc[k] for k in COUNTER_GROUPS if k in doc}
    return {k: v for k, v in flatten(groups).items() if v}
