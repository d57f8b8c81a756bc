"""The overview's figures: a tile per headline figure (value, n, interval, the change from the
previous month and its 95% test, docs/metrics.md) and the three trend charts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aggregator.dashboard import charts
from survey_core import month_change, scoring
from survey_core.complaints import alerts
from survey_core.complaints.store import counts_of_month
from survey_core.documents import Db
from survey_core.follow_ups import store as follow_ups
from survey_core.months import months_ending
from survey_core.reports import queries
from survey_core.reports.snapshot import Snapshot

TREND_MONTHS = 12
# metric: (lowest, highest, digits) of its chart and tile
SCALES = {"csat": (0, 100, 1), "nps": (-100, 100, 1), "ces": (1, 5, 2)}


def _tile(
    key: str, figure: dict[str, Any], change: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    return {
        "key": key,
        "value": figure.get("value"),
        "n": figure.get("n"),
        "ci": figure.get("ci"),
        "change": change,
        "digits": 1,
        "unit": "",
        **extra,
    }


def _taken_of(funnel: dict[str, Any]) -> tuple[int, int]:
    return funnel["completed"] + funnel["partial"], funnel["offered"]


def trend(snap: Snapshot, month: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The months ending with `month` and their merged counters (one read)."""
    months = months_ending(month, TREND_MONTHS)
    return months, queries.monthly_docs(snap, months, {})


def rows_of(months: list[str], docs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The monthly figures exactly as the API's monthly report has them."""
    return [{"month": m, **queries.metric_row(docs[m], "adjusted")} for m in months]


def first_with_data(rows: list[dict[str, Any]]) -> int:
    """The index of the first month with an answer (the last month when none has one)."""
    answered = [i for i, row in enumerate(rows) if any(row[m]["n"] for m in SCALES)]
    return answered[0] if answered else len(rows) - 1


def tiles(
    snap: Snapshot,
    db: Db,
    months: list[str],
    docs: dict[str, dict[str, Any]],
    now: datetime,
    min_n: int,
) -> list[dict[str, Any]]:
    """The headline figures of the last of `months` against the one before."""
    previous, month = months[-2], months[-1]
    rows = {m: queries.metric_row(docs[m], "adjusted") for m in (previous, month)}
    shown = []
    for metric, test in (
        ("csat", month_change.csat),
        ("nps", month_change.nps),
        ("ces", month_change.ces),
    ):
        figure = rows[month][metric]
        change = test(docs[previous][metric], docs[month][metric])
        shown.append(
            _tile(
                metric,
                figure,
                change,
                digits=SCALES[metric][2],
                unit="%" if metric == "csat" else "",
                low_n=figure["n"] < min_n,
            )
        )
    responses = {m: rows[m]["responses"] for m in rows}
    shown.append(
        _tile(
            "responses",
            {"value": responses[month], "n": None},
            {"delta": float(responses[month] - responses[previous]), "significant": None},
            digits=0,
            tested=False,
        )
    )
    funnels = {m: queries.funnel(snap, m, None) for m in (previous, month)}
    taken, offered = _taken_of(funnels[month])
    rate = funnels[month]["response_rate"]
    shown.append(
        _tile(
            "response_rate",
            {
                "value": 100 * rate if rate is not None else None,
                "n": offered,
                "ci": scoring.wilson(taken, offered) if offered and taken <= offered else None,
            },
            month_change.proportions(_taken_of(funnels[previous]), (taken, offered)),
            unit="%",
            low_n=offered < min_n,
        )
    )
    complaints = {m: sum(counts_of_month(db, m, "category_in_force").values()) for m in rows}
    shown.append(
        _tile(
            "complaints",
            {"value": complaints[month], "n": None},
            month_change.counts(complaints[previous], complaints[month]),
            digits=0,
        )
    )
    shown.append(_tile("open_alerts", {"value": alerts.count_open(db)}, None, digits=0, now=True))
    shown.append(
        _tile("overdue", {"value": follow_ups.count_overdue(db, now)}, None, digits=0, now=True)
    )
    return shown


def trend_charts(rows: list[dict[str, Any]], min_n: int) -> dict[str, dict[str, Any]]:
    """The CSAT, NPS and CES charts of `rows`."""
    drawn = {}
    for metric, (lo, hi, digits) in SCALES.items():
        points = []
        for row in rows:
            figure = row[metric]
            ci = figure.get("ci") or [None, None]
            points.append(
                charts.Point(row["month"], figure.get("value"), ci[0], ci[1], figure["n"])
            )
        drawn[metric] = charts.band_chart(points, lo, hi, max(0, digits - 1), min_n)
    return drawn
