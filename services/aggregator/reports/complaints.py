"""The complaint report: complaints per agent, team or category in a month, and the rate."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from aggregator.reports.csv_export import columns, scoped_csv, wants_csv
from aggregator.reports.endpoint import report as report_view
from aggregator.reports.schemas import Month
from survey_core.complaints import store
from survey_core.fields import StrictString
from survey_core.reports import queries
from survey_core.web.context import snapshot
from survey_core.web.openapi import AUTH_ERRORS

bp = Blueprint(
    "complaint_report",
    __name__,
    url_prefix="/api/v1",
    description="The complaint report and the complaint rate (read scope).",
)
_AUTH = AUTH_ERRORS


class ComplaintReportQuery(Schema):
    month = Month(required=True)
    by = StrictString(required=True, validate=validate.OneOf(["agent", "category", "team"]))
    format = StrictString(load_default=None, validate=validate.OneOf(["json", "csv"]))


class ComplaintRow(Schema):
    value = StrictString()
    complaints = fields.Integer()
    surveyed = fields.Integer(metadata={"description": "responses taken (agent, team: theirs)"})
    rate = fields.Float(allow_none=True, metadata={"description": "complaints / surveyed"})


class ComplaintReport(Schema):
    month = StrictString()
    by = StrictString()
    complaints = fields.Integer()
    surveyed = fields.Integer()
    rate = fields.Float(allow_none=True)
    rows = fields.List(fields.Nested(ComplaintRow))


@bp.get("/complaints/report")
@report_view(bp, ComplaintReportQuery, ComplaintReport, {**_AUTH, 422: "`validation_error`."})
def report(query: dict[str, Any]) -> Any:
    """Complaints per agent, team or category in a month, and the complaint rate (complaints /
    contacts surveyed); CSV: the whole month's row (scope `month`), then one per value."""
    result = report_of(query["month"], query["by"])
    if wants_csv(query.get("format"), request.headers.get("Accept", "")):
        scoped = [("month", result["month"], result)]
        scoped += [(result["by"], row["value"], row) for row in result["rows"]]
        name = f"complaints-{result['by']}-{result['month']}.csv"
        return scoped_csv(scoped, COMPLAINT_COLUMNS, name)
    return result


# CSV columns of the complaint report, after its scope and value.
COMPLAINT_COLUMNS = [c for c in columns(ComplaintRow) if c[0] != "value"]


def report_of(month: str, by: str) -> dict[str, Any]:
    """The complaint report of `month` grouped `by` agent, team or category."""
    snap = snapshot()
    field = {"agent": "agent", "team": "team", "category": "category_in_force"}[by]
    counts = store.counts_of_month(snap.db, month, field)
    everyone = queries.monthly_docs(snap, [month], {})[month]
    surveyed_all = queries.responses_count(everyone["funnel"])
    per = (
        {
            v: queries.responses_count(c["funnel"])
            for v, c in queries.by_value(snap, month, by).items()
        }
        if by != "category"
        else {}
    )
    rows = []
    for value in sorted(set(counts) | set(per)):
        surveyed = per.get(value, surveyed_all if by == "category" else 0)
        n = counts.get(value, 0)
        rows.append(
            {
                "value": value,
                "complaints": n,
                "surveyed": surveyed,
                "rate": n / surveyed if surveyed else None,
            }
        )
    rows.sort(key=lambda r: (-r["complaints"], r["value"]))
    total = sum(counts.values())
    return {
        "month": month,
        "by": by,
        "complaints": total,
        "surveyed": surveyed_all,
        "rate": total / surveyed_all if surveyed_all else None,
        "rows": rows,
    }
