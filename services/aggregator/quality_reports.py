"""Quality reports (read scope): the calibration report and the agents' month with the honour
roll; the dashboard shows the same."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from aggregator.csv_export import also_csv, columns, pick, table, wants_csv
from aggregator.schemas import CsatSchema, Interval, Month
from survey_core import calibration
from survey_core.fields import StrictString
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.openapi import AUTH_ERRORS, error_responses

bp = Blueprint(
    "quality_reports",
    __name__,
    url_prefix="/api/v1",
    description="Calibration, the agents' month and the honour roll (read scope).",
)


class CalibrationQuery(Schema):
    month = Month(required=True)
    by = StrictString(required=True, validate=validate.OneOf(["agent", "team", "monitor"]))
    format = StrictString(load_default=None, validate=validate.OneOf(["json", "csv"]))


class SpearmanSchema(Schema):
    r = fields.Float(allow_none=True, metadata={"description": "null when a side does not vary"})
    ci = Interval()
    n = fields.Integer()


class MonitorVsCustomer(Schema):
    n = fields.Integer(metadata={"description": "contacts (by monitor: that monitor's scores)"})
    monitor_mean = fields.Float(allow_none=True, metadata={"description": "0-100"})
    customer_mean = fields.Float(allow_none=True, metadata={"description": "CSAT on 0-100"})
    customer_csat_mean = fields.Float(allow_none=True, metadata={"description": "CSAT 1-5"})
    spearman = fields.Nested(SpearmanSchema)
    mean_difference = fields.Float(allow_none=True, metadata={"description": "monitor - customer"})


class SelfVsCustomer(Schema):
    n = fields.Integer()
    agreement_pct = fields.Float(allow_none=True)
    kappa = fields.Float(allow_none=True)
    self_satisfied_pct = fields.Float(allow_none=True)
    customer_satisfied_pct = fields.Float(allow_none=True)
    flagged = fields.Boolean()


class CalibrationFigures(Schema):
    monitor_vs_customer = fields.Nested(MonitorVsCustomer)
    self_vs_customer = fields.Nested(
        SelfVsCustomer, metadata={"description": "by agent or team, and the whole month"}
    )


class CalibrationRow(CalibrationFigures):
    value = StrictString(metadata={"description": "the agent, team or monitor"})


class MonitorPair(Schema):
    monitors = fields.List(StrictString(), metadata={"description": "the two monitors"})
    alpha = fields.Float(allow_none=True)
    n = fields.Integer(metadata={"description": "contacts both scored"})


class MonitorAgreement(Schema):
    alpha = fields.Float(allow_none=True, metadata={"description": "Krippendorff's, interval"})
    n = fields.Integer(metadata={"description": "contacts scored by two or more monitors"})
    pairs = fields.List(fields.Nested(MonitorPair))


class CalibrationReport(Schema):
    month = StrictString()
    by = StrictString()
    overall = fields.Nested(
        CalibrationFigures,
        metadata={
            "description": "The whole month: one observation per contact (the mean of "
            "its monitors' totals) against its customer; every self-rating against its customer."
        },
    )
    rows = fields.List(fields.Nested(CalibrationRow))
    monitors = fields.Nested(
        MonitorAgreement, metadata={"description": "monitor vs monitor: alpha overall, pairs"}
    )


# CSV: a row for the whole month (scope `month`, value the month), then one per value.
CALIBRATION_COLUMNS = columns(
    CalibrationFigures,
    names={
        "monitor_vs_customer": "",
        "monitor_vs_customer.n": "monitor_n",
        "self_vs_customer": "",
        "self_vs_customer.n": "self_n",
    },
)


def _customers(rids: list[str], month: str) -> dict[str, dict[str, Any]]:
    found = get_db().responses.find(
        {"_id": {"$in": rids}, "month": month, "scores.csat": {"$exists": True}},
        {"scores": 1, "agent_id": 1, "team": 1},
    )
    return {d["_id"]: d for d in found}


@bp.get("/calibration")
@require_api_key("read")
@bp.arguments(CalibrationQuery, location="query")
@error_responses(bp, {**AUTH_ERRORS, 422: "`validation_error`."})
@also_csv(bp)
@bp.response(200, CalibrationReport)
def calibration_report(query: dict[str, Any]) -> Any:
    """Monitors against customers, agents' self-ratings against customers, monitors against
    each other, for one month (each record in the month of its own timestamp); CSV: one row
    per value (the monitor-vs-monitor alpha is in the JSON)."""
    report = calibration_of(query["month"], query["by"])
    if wants_csv(query.get("format"), request.headers.get("Accept", "")):
        name = f"calibration-{query['by']}-{query['month']}.csv"
        scoped = [("month", report["month"], report["overall"])]
        scoped += [(report["by"], row["value"], row) for row in report["rows"]]
        body = (
            [s, v] + [pick(row, path) for _, path in CALIBRATION_COLUMNS] for s, v, row in scoped
        )
        return table(["scope", "value", *(n for n, _ in CALIBRATION_COLUMNS)], body, name)
    return report


def calibration_of(month: str, by: str) -> dict[str, Any]:
    """The calibration report of `month` grouped `by` agent, team or monitor."""
    db = get_db()
    share = current_app.config["SETTINGS"].self_rating_flag_share
    scores = list(db.monitor_scores.find({"month": month}))
    ratings = list(db.agent_ratings.find({"month": month}))
    customers = _customers(sorted({s["rid"] for s in scores} | {r["_id"] for r in ratings}), month)
    per_contact: dict[str, dict[str, float]] = defaultdict(dict)
    for s in scores:
        per_contact[s["rid"]][s["monitor_id"]] = s["total"]
    pairs: dict[str, list[tuple[float, int]]] = defaultdict(list)
    if by == "monitor":
        for s in scores:
            if s["rid"] in customers:
                pairs[s["monitor_id"]].append((s["total"], customers[s["rid"]]["scores"]["csat"]))
    else:
        first = {s["rid"]: s for s in scores}
        for rid, totals in per_contact.items():
            if rid in customers:
                group = first[rid].get(by) or "(none)"
                pairs[group].append(
                    (sum(totals.values()) / len(totals), customers[rid]["scores"]["csat"])
                )
    own: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if by != "monitor":
        for r in ratings:
            if r["_id"] in customers:
                own[r.get(by) or "(none)"].append(
                    (r["rating"], customers[r["_id"]]["scores"]["csat"])
                )
    rows = [
        {
            "value": value,
            "monitor_vs_customer": calibration.monitor_vs_customer(pairs.get(value, [])),
            **(
                {"self_vs_customer": calibration.self_vs_customer(own.get(value, []), share)}
                if by != "monitor"
                else {}
            ),
        }
        for value in sorted(set(pairs) | set(own))
    ]
    monitors = {**calibration.alpha(per_contact), "pairs": calibration.pairwise_alpha(per_contact)}
    contacts = [
        (sum(totals.values()) / len(totals), customers[rid]["scores"]["csat"])
        for rid, totals in per_contact.items()
        if rid in customers
    ]
    everyone = [
        (r["rating"], customers[r["_id"]]["scores"]["csat"])
        for r in ratings
        if r["_id"] in customers
    ]
    overall = {
        "monitor_vs_customer": calibration.monitor_vs_customer(contacts),
        "self_vs_customer": calibration.self_vs_customer(everyone, share),
    }
    return {"month": month, "by": by, "overall": overall, "rows": rows, "monitors": monitors}


class AgentReportQuery(Schema):
    month = Month(required=True)
    min_n = fields.Integer(
        validate=validate.Range(0, 100_000),
        metadata={"description": "CSAT answers an agent needs for the honour roll (default 5)."},
    )


class AgentRow(Schema):
    agent = StrictString()
    thanks = fields.Integer()
    complaints = fields.Integer()
    surveyed = fields.Integer()
    complaint_rate = fields.Float(allow_none=True)
    monitor_mean = fields.Float(allow_none=True, metadata={"description": "0-100"})
    monitor_n = fields.Integer()
    csat = fields.Nested(CsatSchema)
    eligible = fields.Boolean(metadata={"description": "CSAT n >= min_n: may be on the roll"})


class AgentReport(Schema):
    month = StrictString()
    min_n = fields.Integer()
    agents = fields.List(fields.Nested(AgentRow))
    honour_roll = fields.List(fields.Nested(AgentRow))


def _per_agent(collection: str, month: str, value: str | None = None) -> dict[str, tuple]:
    group: dict[str, Any] = {"_id": "$agent", "n": {"$sum": 1}}
    if value:
        group["mean"] = {"$avg": f"${value}"}
    found = get_db()[collection].aggregate([{"$match": {"month": month}}, {"$group": group}])
    return {str(d["_id"]): (d["n"], d.get("mean")) for d in found if d["_id"]}


@bp.get("/agents/report")
@require_api_key("read")
@bp.arguments(AgentReportQuery, location="query")
@error_responses(bp, {**AUTH_ERRORS, 422: "`validation_error`."})
@bp.response(200, AgentReport)
def agent_report(query: dict[str, Any]) -> dict[str, Any]:
    """Per agent in a month: thank-you letters, complaints and their rate, the mean monitor
    score, CSAT; and the honour roll: most thanks first, then the higher CSAT, among agents
    with at least `min_n` CSAT answers."""
    return agents_of(query["month"], query.get("min_n", 5))


def agents_of(month: str, min_n: int) -> dict[str, Any]:
    """The agent report of `month`."""
    from aggregator.views import survey_of
    from survey_core import scoring
    from survey_core.rollups import queries

    db = get_db()
    surveyed = queries.by_value(db, survey_of(db), month, "agent")
    thanked = _per_agent("thanks", month)
    complained = _per_agent("complaints", month)
    monitored = _per_agent("monitor_scores", month, "total")
    rows = []
    for agent in sorted(
        (set(surveyed) | set(thanked) | set(complained) | set(monitored)) - {"(none)"}
    ):
        counters = surveyed.get(agent)
        taken = queries.responses_count(counters["funnel"]) if counters else 0
        csat = scoring.csat(counters["csat"] if counters else None)
        n_complaints = complained.get(agent, (0, None))[0]
        rows.append(
            {
                "agent": agent,
                "thanks": thanked.get(agent, (0, None))[0],
                "complaints": n_complaints,
                "surveyed": taken,
                "complaint_rate": n_complaints / taken if taken else None,
                "monitor_mean": monitored.get(agent, (0, None))[1],
                "monitor_n": monitored.get(agent, (0, None))[0],
                "csat": csat,
                "eligible": csat["n"] >= min_n,
            }
        )
    roll = sorted(
        (r for r in rows if r["eligible"]),
        key=lambda r: (-r["thanks"], -(r["csat"]["value"] or 0), r["agent"]),
    )
    return {"month": month, "min_n": min_n, "agents": rows, "honour_roll": roll[:10]}
