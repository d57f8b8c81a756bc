"""Quality reports (read scope): the calibration report and the agents' month with the honour
roll; the dashboard shows the same."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from aggregator.reports.csv_export import columns, pick, scoped_csv, table, wants_csv
from aggregator.reports.endpoint import report
from aggregator.reports.quality_schemas import (
    AgentCsvRow,
    AgentReport,
    AgentReportQuery,
    CalibrationCsvRow,
    CalibrationQuery,
    CalibrationReport,
)
from survey_core import calibration, scoring
from survey_core.monitoring import store
from survey_core.reports import queries
from survey_core.responses import reads
from survey_core.storage.client import get_db
from survey_core.web.context import snapshot
from survey_core.web.openapi import AUTH_ERRORS

bp = Blueprint(
    "quality_reports",
    __name__,
    url_prefix="/api/v1",
    description="Calibration, the agents' month and the honour roll (read scope).",
)


# CSV: the whole month (scope `month`: every figure, alpha among them), one row per value, one
# per monitor pair (scope `monitor_pair`, value and `paired_with` the two monitors).
CALIBRATION_COLUMNS = columns(
    CalibrationCsvRow,
    names={
        "monitor_vs_customer": "",
        "monitor_vs_customer.n": "monitor_n",
        "self_vs_customer": "",
        "self_vs_customer.n": "self_n",
        "agreement": "",
        "agreement.n": "alpha_n",
    },
)


@bp.get("/calibration")
@report(bp, CalibrationQuery, CalibrationReport, {**AUTH_ERRORS, 422: "`validation_error`."})
def calibration_report(query: dict[str, Any]) -> Any:
    """Monitors against customers, agents' self-ratings against customers, monitors against
    each other, for one month (each record in the month of its own timestamp); CSV: the whole
    month's row, one per value, one per monitor pair."""
    report = calibration_of(query["month"], query["by"])
    if wants_csv(query.get("format"), request.headers.get("Accept", "")):
        monitors = report["monitors"]
        month = {**report["overall"], "agreement": monitors}
        scoped = [("month", report["month"], month)]
        scoped += [(report["by"], row["value"], row) for row in report["rows"]]
        scoped += [
            ("monitor_pair", a, {"paired_with": b, "agreement": pair})
            for pair in monitors["pairs"]
            for a, b in [pair["monitors"]]
        ]
        name = f"calibration-{query['by']}-{query['month']}.csv"
        return scoped_csv(scoped, CALIBRATION_COLUMNS, name)
    return report


def calibration_of(month: str, by: str) -> dict[str, Any]:
    """The calibration report of `month` grouped `by` agent, team or monitor."""
    db = get_db()
    share = current_app.config["SETTINGS"].self_rating_flag_share
    scores = store.of_month(db, "monitor_scores", month)
    ratings = store.of_month(db, "agent_ratings", month)
    rids = sorted({s["rid"] for s in scores} | {r["_id"] for r in ratings})
    customers = reads.scored(db, rids, month, "csat")
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


# CSV: one row per agent, its place on the honour roll (if any) among the figures.
AGENT_COLUMNS = columns(AgentCsvRow, first=["agent", "honour_rank"])


@bp.get("/agents/report")
@report(bp, AgentReportQuery, AgentReport, {**AUTH_ERRORS, 422: "`validation_error`."})
def agent_report(query: dict[str, Any]) -> Any:
    """Per agent in a month: thank-you letters, complaints and their rate, the mean monitor
    score, CSAT; and the honour roll: most thanks first, then the higher CSAT, among agents
    thanked at least once with at least `min_n` CSAT answers. CSV: one row per agent with its
    `honour_rank`."""
    report = agents_of(query["month"], query.get("min_n", 5))
    if wants_csv(query.get("format"), request.headers.get("Accept", "")):
        place = {row["agent"]: i for i, row in enumerate(report["honour_roll"], 1)}
        rows = [{**row, "honour_rank": place.get(row["agent"])} for row in report["agents"]]
        name = f"agents-{query['month']}.csv"
        return table(
            [n for n, _ in AGENT_COLUMNS],
            ([pick(row, path) for _, path in AGENT_COLUMNS] for row in rows),
            name,
        )
    return report


def agents_of(month: str, min_n: int) -> dict[str, Any]:
    """The agent report of `month`."""
    snap = snapshot()
    db = snap.db
    surveyed = queries.by_value(snap, month, "agent")
    thanked = store.per_agent(db, "thanks", month)
    complained = store.per_agent(db, "complaints", month)
    monitored = store.per_agent(db, "monitor_scores", month, "total")
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
        (r for r in rows if r["eligible"] and r["thanks"] > 0),
        key=lambda r: (-r["thanks"], -(r["csat"]["value"] or 0), r["agent"]),
    )
    return {"month": month, "min_n": min_n, "agents": rows, "honour_roll": roll[:10]}
