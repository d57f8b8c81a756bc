"""CSV for spreadsheets: UTF-8 with a BOM (so Excel shows Chinese names), 2 decimals."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from flask import Response
from flask_smorest import Blueprint

F = TypeVar("F", bound=Callable[..., Any])

METRIC_COLUMNS = [
    ("responses", ("responses",)),
    ("csat", ("csat", "value")),
    ("csat_mean", ("csat", "mean")),
    ("csat_n", ("csat", "n")),
    ("csat_ci_low", ("csat", "ci", 0)),
    ("csat_ci_high", ("csat", "ci", 1)),
    ("csat_mean_ci_low", ("csat", "mean_ci", 0)),
    ("csat_mean_ci_high", ("csat", "mean_ci", 1)),
    ("nps", ("nps", "value")),
    ("nps_n", ("nps", "n")),
    ("nps_se", ("nps", "se")),
    ("nps_ci_low", ("nps", "ci", 0)),
    ("nps_ci_high", ("nps", "ci", 1)),
    ("promoters", ("nps", "promoters")),
    ("passives", ("nps", "passives")),
    ("detractors", ("nps", "detractors")),
    ("ces", ("ces", "value")),
    ("ces_n", ("ces", "n")),
    ("ces_ci_low", ("ces", "ci", 0)),
    ("ces_ci_high", ("ces", "ci", 1)),
    ("ces_low_effort_pct", ("ces", "low_effort_pct")),
]


RANKING_COLUMNS = [
    ("trainer_id", ("trainer_id",)),
    ("trainer_name", ("trainer_name",)),
    ("n", ("n",)),
    ("sessions", ("sessions",)),
    ("response_rate", ("response_rate",)),
    *[
        (f"{c}_{part}", (c, *path))
        for c in ("overall", "communication", "clarity", "interaction")
        for part, path in (("mean", ("mean",)), ("ci_low", ("ci", 0)), ("ci_high", ("ci", 1)))
    ],
    ("recommend_nps", ("recommend", "value")),
    ("recommend_n", ("recommend", "n")),
    ("bayes_score", ("bayes_score",)),
    ("eligible", ("eligible",)),
]


def _pick(row: Mapping[str, Any], path: tuple) -> Any:
    value: Any = row
    for step in path:
        if value is None:
            return None
        value = value[step]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def csv_response(
    rows: Iterable[Mapping[str, Any]],
    key: str,
    filename: str,
    columns: list[tuple[str, tuple]] = METRIC_COLUMNS,
) -> Response:
    """Rows of metric objects as a CSV download; `key` names the first column."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([key] + [name for name, _ in columns])
    for row in rows:
        writer.writerow([row[key]] + [_cell(_pick(row, path)) for _, path in columns])
    response = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.charset = "utf-8"
    return response


def funnel_csv(funnel: Mapping[str, Any], filename: str) -> Response:
    """The funnel as a one-row CSV; partial_at becomes one column per question."""
    row = {k: v for k, v in funnel.items() if k != "partial_at"}
    row.update({f"partial_at_{q}": n for q, n in funnel.get("partial_at", {}).items()})
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(row))
    writer.writerow([_cell(v) for v in row.values()])
    response = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
