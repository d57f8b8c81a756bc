"""Quality management: monitor scores, agents' self-ratings and thank-you letters in (write
scope, each idempotent), and the calibration report out (read scope)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from pymongo.errors import DuplicateKeyError

from aggregator.csv_export import csv_response, wants_csv
from survey_core import calibration
from survey_core.months import month_of
from survey_core.responses.events import response_id
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.openapi import AUTH_ERRORS, error_responses

bp = Blueprint(
    "quality",
    __name__,
    url_prefix="/api/v1",
    description="Monitor scores, self-ratings, thanks and the calibration report.",
)
_BODY = {400: "The body is not valid JSON.", 422: "`validation_error`: `errors` names the fields."}
_ID = validate.Length(min=1, max=128)
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])\Z", error="Not a month in YYYY-MM form.")


class ItemSchema(Schema):
    key = fields.String(required=True, validate=_ID)
    score = fields.Float(required=True, validate=validate.Range(min=0))
    max = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    weight = fields.Float(load_default=1.0, validate=validate.Range(min=0, min_inclusive=False))

    @validates_schema
    def _within(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("score", 0) > data.get("max", 0):
            raise ValidationError("The score exceeds the item's maximum.", "score")


class ContactMixin(Schema):
    interaction_id = fields.String(required=True, validate=_ID)
    channel = fields.String(required=True, validate=_ID)
    agent = fields.String(required=True, validate=_ID)
    team = fields.String(load_default=None, validate=_ID)


class MonitorScoreSchema(ContactMixin):
    monitor_id = fields.String(required=True, validate=_ID)
    scored_at = fields.AwareDateTime(required=True)
    form = fields.Dict(
        keys=fields.String(), required=True, metadata={"description": '{"id", "version"}'}
    )
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))
    total = fields.Float(dump_only=True, metadata={"description": "weighted items on 0-100"})


class AgentRatingSchema(ContactMixin):
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(1, 5))
    rated_at = fields.AwareDateTime(required=True)


class ThanksSchema(Schema):
    source = fields.String(required=True, validate=_ID)
    source_id = fields.String(required=True, validate=_ID)
    agent = fields.String(required=True, validate=_ID)
    team = fields.String(load_default=None, validate=_ID)
    received_at = fields.AwareDateTime(required=True)


class StoredSchema(Schema):
    id = fields.String(attribute="_id")
    created = fields.Boolean()
    total = fields.Float()


def _store(collection: str, doc: dict[str, Any], moment: datetime) -> tuple[dict[str, Any], int]:
    doc["month"] = month_of(moment, current_app.config["SETTINGS"].tz)
    doc["stored_at"] = datetime.now(UTC)
    try:
        get_db()[collection].insert_one(doc)
        return {**doc, "created": True}, 201
    except DuplicateKeyError:  # a re-post: nothing changes
        return {
            **(get_db()[collection].find_one({"_id": doc["_id"]}) or doc),
            "created": False,
        }, 200


def total_of(items: list[dict[str, Any]]) -> float:
    """A form's weighted item scores on 0-100."""
    weight = sum(i["weight"] for i in items)
    return 100 * sum(i["weight"] * i["score"] / i["max"] for i in items) / weight


@bp.post("/monitor-scores")
@require_api_key("write")
@bp.arguments(MonitorScoreSchema)
@error_responses(bp, {**AUTH_ERRORS, **_BODY})
@bp.response(201, StoredSchema)
@bp.alt_response(200, schema=StoredSchema, description="Already recorded: nothing new.")
def monitor_score(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A QA monitor's score of one contact (idempotent per monitor and contact)."""
    rid = response_id(body["channel"], body["interaction_id"])
    doc = {
        "_id": f"{body['monitor_id']}|{rid}",
        "rid": rid,
        **body,
        "total": total_of(body["items"]),
    }
    return _store("monitor_scores", doc, body["scored_at"])


@bp.post("/agent-ratings")
@require_api_key("write")
@bp.arguments(AgentRatingSchema)
@error_responses(bp, {**AUTH_ERRORS, **_BODY})
@bp.response(201, StoredSchema)
@bp.alt_response(200, schema=StoredSchema, description="Already recorded: nothing new.")
def agent_rating(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The agent's estimate of the customer's satisfaction (idempotent per contact)."""
    rid = response_id(body["channel"], body["interaction_id"])
    return _store("agent_ratings", {"_id": rid, **body}, body["rated_at"])


@bp.post("/thanks")
@require_api_key("write")
@bp.arguments(ThanksSchema)
@error_responses(bp, {**AUTH_ERRORS, **_BODY})
@bp.response(201, StoredSchema)
@bp.alt_response(200, schema=StoredSchema, description="Already recorded: nothing new.")
def thanks(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A thank-you letter or message for an agent (idempotent on its source id)."""
    doc = {"_id": f"{body['source']}:{body['source_id']}", **body}
    return _store("thanks", doc, body["received_at"])


class CalibrationQuery(Schema):
    month = fields.String(required=True, validate=MONTH)
    by = fields.String(required=True, validate=validate.OneOf(["agent", "team", "monitor"]))
    format = fields.String(load_default=None, validate=validate.OneOf(["json", "csv"]))


CALIBRATION_COLUMNS = [
    ("monitor_n", ("monitor_vs_customer", "n")),
    ("monitor_mean", ("monitor_vs_customer", "monitor_mean")),
    ("customer_mean", ("monitor_vs_customer", "customer_mean")),
    ("customer_csat_mean", ("monitor_vs_customer", "customer_csat_mean")),
    ("spearman_r", ("monitor_vs_customer", "spearman", "r")),
    ("spearman_ci_low", ("monitor_vs_customer", "spearman", "ci", 0)),
    ("spearman_ci_high", ("monitor_vs_customer", "spearman", "ci", 1)),
    ("mean_difference", ("monitor_vs_customer", "mean_difference")),
    ("self_n", ("self_vs_customer", "n")),
    ("agreement_pct", ("self_vs_customer", "agreement_pct")),
    ("kappa", ("self_vs_customer", "kappa")),
    ("self_satisfied_pct", ("self_vs_customer", "self_satisfied_pct")),
    ("customer_satisfied_pct", ("self_vs_customer", "customer_satisfied_pct")),
    ("flagged", ("self_vs_customer", "flagged")),
]


class CalibrationReport(Schema):
    month = fields.String()
    by = fields.String()
    rows = fields.List(fields.Dict())
    monitors = fields.Dict(metadata={"description": "monitor vs monitor: alpha overall, pairs"})


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
@bp.response(200, CalibrationReport)
def calibration_report(query: dict[str, Any]) -> Any:
    """Monitors against customers, agents' self-ratings against customers, monitors against
    each other, for one month (each record in the month of its own timestamp); CSV: one row
    per value (the monitor-vs-monitor alpha is in the JSON)."""
    report = calibration_of(query["month"], query["by"])
    if wants_csv(query.get("format"), request.headers.get("Accept", "")):
        name = f"calibration-{query['by']}-{query['month']}.csv"
        return csv_response(report["rows"], "value", name, CALIBRATION_COLUMNS)
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
    return {"month": month, "by": by, "rows": rows, "monitors": monitors}


class AgentReportQuery(Schema):
    month = fields.String(required=True, validate=MONTH)
    min_n = fields.Integer(
        validate=validate.Range(0, 100_000),
        metadata={"description": "CSAT answers an agent needs for the honour roll (default 5)."},
    )


class AgentRow(Schema):
    agent = fields.String()
    thanks = fields.Integer()
    complaints = fields.Integer()
    surveyed = fields.Integer()
    complaint_rate = fields.Float(allow_none=True)
    monitor_mean = fields.Float(allow_none=True, metadata={"description": "0-100"})
    monitor_n = fields.Integer()
    csat = fields.Dict()
    eligible = fields.Boolean(metadata={"description": "CSAT n >= min_n: may be on the roll"})


class AgentReport(Schema):
    month = fields.String()
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
