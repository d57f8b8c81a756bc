"""One agent's page: twelve months of CSAT, NPS and CES with intervals, the month's monitor
scores, calibration flags, thank-you letters, complaints, recent comments and the contacts to
review (the agent's QA sample), each contact linked to its page."""

from __future__ import annotations

from statistics import fmean
from typing import Any

from flask import Blueprint, Response, redirect, render_template, url_for

from aggregator.dashboard import access
from aggregator.reports.comments import recent_comments
from aggregator.reports.qa_sample import sample_of
from aggregator.reports.quality import calibration_of
from survey_core.complaints import reads as complaints
from survey_core.monitoring import store as monitoring
from survey_core.months import months_ending
from survey_core.reports import queries
from survey_core.storage.client import get_db
from survey_core.web.context import snapshot
from survey_core.web.security import CSRF_FIELD, page_headers

bp = Blueprint("agents", __name__)
TO_REVIEW = 5  # contacts a monitor is offered per agent page
DETRACTOR_WEIGHT = 2.0  # on the agent's page, detractors are twice as likely to be offered


@bp.get("/dashboard/agents/<path:agent>")
def agent_page(agent: str) -> Any:
    """The agent's months and the month's quality records (signed in), else the sign-in page."""
    language = access.language()
    if access.signed_in() is None:
        return redirect(url_for("dashboard.sign_in_page", lang=language))
    db, month = get_db(), access.chosen_month()
    months = months_ending(month, 12)
    scores = monitoring.of_agent(db, "monitor_scores", agent, month)
    calibration = next(
        (r for r in calibration_of(month, "agent")["rows"] if r["value"] == agent), None
    )
    html = render_template(
        "agent.html",
        language=language,
        month=month,
        months=months_ending(month, 24),
        agent=agent,
        csrf_field=CSRF_FIELD,
        csrf_token=access.form_token(),
        rows=queries.monthly(snapshot(), months, {"agent": agent}, "adjusted"),
        scores=scores,
        score_mean=fmean(s["total"] for s in scores) if scores else None,
        calibration=calibration,
        thanks=monitoring.of_agent(db, "thanks", agent, month),
        complaints=complaints.of_agent(db, agent, month),
        comments=recent_comments(db, month, agent),
        review=sample_of(month, TO_REVIEW, DETRACTOR_WEIGHT, None, agent)["contacts"],
    )
    return Response(html, mimetype="text/html")


@bp.after_request
def _headers(response: Response) -> Response:
    return page_headers(response, "'none'")
