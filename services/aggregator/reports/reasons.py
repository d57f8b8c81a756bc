"""Reporting API: the low-score breakdown by the customers' reasons (JSON, or CSV on request)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from aggregator.reports.csv_export import table, wants_csv
from aggregator.reports.endpoint import report
from aggregator.reports.schemas import Month
from survey_core.fields import DictKey, StrictDict, StrictString
from survey_core.reports.low_scores import METRICS, low_score_reasons
from survey_core.web.context import snapshot

bp = Blueprint(
    "low_score_reasons",
    __name__,
    url_prefix="/api/v1",
    description="Why customers gave a low CSAT (1-2) or NPS (0-6): the reasons they chose.",
)
TOTAL = "(total)"  # the CSV's last row: every low score (no reason value is in parentheses)
CSV_COLUMNS = (
    "month",
    "metric",
    "channel",
    "reason",
    "label_zh_cn",
    "label_en_us",
    "n",
    "pct",
    "interval_low",
    "interval_high",
    "low_scores_n",
    "low_scores_from",
    "low_scores_to",
)


class ReasonsQuery(Schema):
    month = Month(required=True)
    format = StrictString(load_default=None, validate=validate.OneOf(["json", "csv"]))
    metric = StrictString(required=True, validate=validate.OneOf(METRICS))
    channel = StrictString(load_default=None, validate=validate.Length(1, 128))


class ReasonRow(Schema):
    reason = StrictString(metadata={"description": "The option's value; `(none)`: no reason."})
    label = StrictDict(keys=DictKey(), values=StrictString(), allow_none=True)
    n = fields.Integer(metadata={"description": "Low-score responses that gave this reason."})
    pct = fields.Float(allow_none=True, metadata={"description": "Share of `n` low scores, %."})
    interval = fields.List(fields.Float(), allow_none=True, metadata={"description": "Wilson"})


class ReasonsReport(Schema):
    month = StrictString()
    metric = StrictString()
    channel = StrictString(allow_none=True)
    low_scores = fields.List(fields.Integer(), metadata={"description": "The low scores."})
    n = fields.Integer(metadata={"description": "Responses with a low score of the metric."})
    rows = fields.List(fields.Nested(ReasonRow))


@bp.route("/metrics/reasons")
class LowScoreReasons(MethodView):
    @report(bp, ReasonsQuery, ReasonsReport)
    def get(self, args: dict[str, Any]) -> Any:
        """Low CSAT or NPS scores of a month by the reason the customer gave (a response
        giving two reasons counts under each; `(none)`: none given)."""
        report = low_score_reasons(snapshot(), args["month"], args["metric"], args["channel"])
        if wants_csv(args.get("format"), request.headers.get("Accept", "")):
            n = report["n"]
            total = {"reason": TOTAL, "label": None, "n": n, "pct": 100.0 if n else None}
            rows = (
                [
                    report["month"],
                    report["metric"],
                    report["channel"],
                    row["reason"],
                    (row["label"] or {}).get("zh-CN"),
                    (row["label"] or {}).get("en-US"),
                    row["n"],
                    row["pct"],
                    *(row.get("interval") or [None, None]),
                    n,
                    *report["low_scores"],
                ]
                for row in [*report["rows"], total]
            )
            return table(CSV_COLUMNS, rows, f"reasons-{args['metric']}-{args['month']}.csv")
        return report
