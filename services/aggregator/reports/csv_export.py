"""CSV for spreadsheets: UTF-8 with a BOM (so Excel shows Chinese names), 2 decimals.

Every CSV the product writes goes through `table` (or `streamed_table`) here, which neutralises
formulas: a text cell (an agent, a team, a trainer's name, a query value echoed back) that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so a
spreadsheet shows it as text and never runs it; so is one whose first character after spaces,
line breaks or zero-width characters is one of those, or one of their full-width forms (U+FF1D,
U+FF0B, U+FF0D, U+FF20). Text is neutralised whatever it came from; numbers (int, float: only
ever our own figures) are written as numbers (a negative NPS stays `-12.50`).
A report's columns come from its response schema (`columns`), so its CSV has every figure its
JSON has.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from flask import Response, stream_with_context
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from aggregator.reports.schemas import MetricsMixin, RankingRow

F = TypeVar("F", bound=Callable[..., Any])

Column = tuple[str, tuple]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Full-width = + - @, which some spreadsheets and input methods read as the ASCII ones.
_FULL_WIDTH = str.maketrans("\uff1d\uff0b\uff0d\uff20", "=+-@")
# What may stand before a formula's first character and still be skipped by someone's reader.
_LEADING = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+")


def columns(
    schema: type[Schema],
    first: Iterable[str] = (),
    names: Mapping[str, str] | None = None,
    _path: tuple = (),
    _label: str = "",
) -> list[Column]:
    """The CSV columns of a report row: every field of `schema`, nested objects flattened
    (`overall.mean` -> `overall_mean`, an object's `value` -> its own name), intervals as
    `_low`/`_high`; `first` orders the top level, `names` renames (by dotted path)."""
    declared = dict(schema._declared_fields)
    order = [*first, *(n for n in declared if n not in set(first))]
    out: list[Column] = []
    for name in order:
        field = declared[name]
        path = (*_path, field.attribute or name)
        dotted = ".".join(str(p) for p in path)
        if names and dotted in names:
            label = names[dotted]  # "" for no prefix of its own
        elif name == "value" and _label:
            label = _label
        else:
            label = f"{_label}_{name}" if _label else name
        if isinstance(field, fields.Nested) and isinstance(field.nested, type):
            out += columns(field.nested, (), names, path, label)
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Float):
            out += [(f"{label}_low", (*path, 0)), (f"{label}_high", (*path, 1))]
        elif not isinstance(field, fields.Dict | fields.List | fields.Nested):
            out.append((label, path))
    return out


def pick(row: Mapping[str, Any], path: tuple) -> Any:
    """The value at `path` in a report row; None where the row has no such object."""
    value: Any = row
    for step in path:
        if value is None:
            return None
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(step, int) and isinstance(value, list | tuple) and step < len(value):
            value = value[step]
        else:
            return None
    return value


def cell(value: Any) -> str:
    """One CSV cell: numbers with 2 decimals, text neutralised against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if is_formula(text) else text


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula (docs/metrics.md's leading characters,
    also behind spaces or line breaks, or in their full-width forms)."""
    head = _LEADING.sub("", text, count=1).translate(_FULL_WIDTH)
    return text.startswith(FORMULA_STARTS) or head.startswith(FORMULA_STARTS)


def table(header: Iterable[str], rows: Iterable[Iterable[Any]], filename: str) -> Response:
    """A CSV download (the only way this product writes one): every cell through `cell`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    response = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    response.charset = "utf-8"
    return response


def streamed_table(header: Iterable[str], rows: Iterable[Iterable[Any]], filename: str) -> Response:
    """`table`, written row by row as the response is sent (rows read while streaming)."""

    def lines() -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        out.write("\ufeff")
        writer.writerow([cell(h) for h in header])
        for row in rows:
            writer.writerow([cell(v) for v in row])
            if out.tell() > 64 * 1024:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode("utf-8")

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    response.charset = "utf-8"
    return response


def safe_filename(name: str) -> str:
    """A download's name from our own parts and validated values, kept to safe characters."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


# The figures of a month or a value (monthly, breakdown), NPS counts under their old names.
METRIC_COLUMNS = columns(
    MetricsMixin,
    names={f"nps.{part}": part for part in ("promoters", "passives", "detractors")},
)
# A trainer's row of the ranking, after its rank.
RANKING_COLUMNS = [
    c
    for c in columns(
        RankingRow,
        first=["rank", "trainer_id", "trainer_name", "n", "sessions", "response_rate"],
        names={"recommend.value": "recommend_nps"},
    )
    if c[0] != "rank"
]


def csv_response(
    rows: Iterable[Mapping[str, Any]],
    key: str,
    filename: str,
    columns: list[Column] = METRIC_COLUMNS,
) -> Response:
    """Rows of report objects as a CSV download; `key` names the first column."""
    body = ([row.get(key)] + [pick(row, path) for _, path in columns] for row in rows)
    return table([key] + [name for name, _ in columns], body, filename)


def scoped_csv(
    scoped: Iterable[tuple[str, Any, Mapping[str, Any]]], columns: list[Column], filename: str
) -> Response:
    """A report of a whole month and its parts as a CSV download: one row per (scope, value,
    figures), e.g. ("month", "2026-10", overall) then ("agent", "A17", row)."""
    body = (
        [scope, value, *(pick(row, path) for _, path in columns)] for scope, value, row in scoped
    )
    return table(["scope", "value", *(name for name, _ in columns)], body, filename)


def funnel_csv(funnel: Mapping[str, Any], filename: str) -> Response:
    """The funnel as a one-row CSV; partial_at becomes one column per question."""
    row = {k: v for k, v in funnel.items() if k != "partial_at"}
    row.update({f"partial_at_{q}": n for q, n in funnel.get("partial_at", {}).items()})
    return table(list(row), [list(row.values())], filename)


def wants_csv(fmt: str | None, accept: str) -> bool:
    if fmt:
        return fmt == "csv"
    return "text/csv" in accept and "application/json" not in accept


def also_csv(bp: Blueprint) -> Callable[[F], F]:
    """Document a report's CSV form (`format=csv`, or `Accept: text/csv`) next to its JSON."""
    return bp.doc(
        responses={
            200: {
                "content": {
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": "UTF-8 with a byte-order mark, CRLF line ends, a "
                            "header row; the same figures as the JSON.",
                        }
                    }
                }
            }
        }
    )
