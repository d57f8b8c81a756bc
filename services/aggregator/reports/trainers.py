"""Reporting API: the monthly best-trainer ranking and one trainer's trend (read scope)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from aggregator.reports.csv_export import RANKING_COLUMNS, csv_response, wants_csv
from aggregator.reports.endpoint import report
from aggregator.reports.schemas import RankingQuery, RankingReport, TrendQuery, TrendReport
from survey_core.months import month_range
from survey_core.reports import trainers
from survey_core.web.context import snapshot

bp = Blueprint(
    "trainers",
    __name__,
    url_prefix="/api/v1",
    description="Trainers' monthly figures and the best trainer (read scope).",
)


@bp.route("/trainers/ranking")
class Ranking(MethodView):
    @report(bp, RankingQuery, RankingReport)
    def get(self, args: dict[str, Any]) -> Any:
        """Every trainer evaluated in `month`, best Bayesian score first; `best` or null."""
        m = args.get("min_n")
        if m is None:
            m = current_app.config["SETTINGS"].min_trainer_sample
        settings = current_app.config["SETTINGS"]
        report = trainers.ranking_of(snapshot(), args["month"], m, settings.anonymity_min)
        if wants_csv(args.get("format"), request.headers.get("Accept", "")):
            filename = f"trainers-{args['month']}.csv"
            return csv_response(report["trainers"], "rank", filename, RANKING_COLUMNS)
        return report


@bp.route("/trainers/<trainer_id>/monthly")
class Trend(MethodView):
    @report(bp, TrendQuery, TrendReport, csv=False)
    def get(self, args: dict[str, Any], trainer_id: str) -> Any:
        """One trainer's figures per month from `from` to `to`."""
        months = month_range(args["from_"], args["to"])
        return {
            "trainer_id": trainer_id,
            "rows": trainers.trend(
                snapshot(), trainer_id, months, current_app.config["SETTINGS"].anonymity_min
            ),
        }
