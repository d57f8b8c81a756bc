"""Reporting API: monthly metrics, breakdowns and the funnel (JSON, or CSV on request)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from aggregator.reports.csv_export import csv_response, funnel_csv, wants_csv
from aggregator.reports.endpoint import report
from aggregator.reports.schemas import (
    BreakdownQuery,
    BreakdownReport,
    FunnelQuery,
    FunnelReport,
    MonthlyQuery,
    MonthlyReport,
)
from survey_core.months import month_range
from survey_core.reports import queries
from survey_core.web.context import snapshot

bp = Blueprint(
    "metrics",
    __name__,
    url_prefix="/api/v1",
    description="Monthly CSAT, NPS and CES with n and 95% intervals (read scope).",
)


def _csv_requested(args: dict[str, Any]) -> bool:
    return wants_csv(args.get("format"), request.headers.get("Accept", ""))


@bp.route("/metrics/monthly")
class Monthly(MethodView):
    @report(bp, MonthlyQuery, MonthlyReport)
    def get(self, args: dict[str, Any]) -> Any:
        """One row per month from `from` to `to`, optionally filtered by dimensions."""
        filters = {dim: args.get(dim) for dim in queries.FILTER_DIMS}
        months = month_range(args["from_"], args["to"])
        rows = queries.monthly(snapshot(), months, filters, args["interval"])
        if _csv_requested(args):
            return csv_response(rows, "month", f"metrics-{args['from_']}-{args['to']}.csv")
        return {"filters": {k: v for k, v in filters.items() if v}, "rows": rows}


@bp.route("/metrics/breakdown")
class Breakdown(MethodView):
    @report(bp, BreakdownQuery, BreakdownReport)
    def get(self, args: dict[str, Any]) -> Any:
        """One row per agent, team, channel, reason or survey in a month, best CSAT first."""
        rows = queries.breakdown(
            snapshot(), args["month"], args["by"], args["min_n"], args["interval"]
        )
        if _csv_requested(args):
            return csv_response(rows, "value", f"breakdown-{args['by']}-{args['month']}.csv")
        return {"month": args["month"], "by": args["by"], "rows": rows}


@bp.route("/funnel")
class Funnel(MethodView):
    @report(bp, FunnelQuery, FunnelReport)
    def get(self, args: dict[str, Any]) -> Any:
        """Offered, left out, started, completed and partial by the question reached."""
        result = queries.funnel(snapshot(), args["month"], args["channel"])
        if _csv_requested(args):
            return funnel_csv(result, f"funnel-{args['month']}.csv")
        return result
