"""The QA sample in the dashboard: the same sample as GET /api/v1/qa/sample, each contact
linked to its page, the month, contacts per agent, detractor weight and seed in a form."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError

from aggregator.dashboard import access
from aggregator.reports.qa_sample import SampleQuery, sample_of
from survey_core.months import months_ending
from survey_core.web.security import CSRF_FIELD, page_headers

bp = Blueprint("qa", __name__)


@bp.get("/dashboard/qa-sample")
def qa_sample_page() -> Any:
    """The month's QA sample (signed in), else the sign-in page; a bad choice is a 422 page."""
    language = access.language()
    if access.signed_in() is None:
        return redirect(url_for("dashboard.sign_in_page", lang=language))
    month = access.chosen_month()
    asked = {k: v for k, v in request.args.items() if k in ("per_agent", "detractors", "seed")}
    problems: dict[str, Any] = {}
    try:
        query = SampleQuery().load({**asked, "month": month})
    except ValidationError as exc:
        problems = exc.normalized_messages()  # type: ignore[assignment]
        query = SampleQuery().load({"month": month})
    sample = sample_of(month, query["per_agent"], query["detractors"], query["seed"])
    html = render_template(
        "qa_sample.html",
        language=language,
        month=month,
        months=months_ending(month, 24),
        csrf_field=CSRF_FIELD,
        csrf_token=access.form_token(),
        asked={**{k: query[k] for k in ("per_agent", "detractors")}, **asked},
        problems=problems,
        sample=sample,
    )
    return Response(html, status=422 if problems else 200, mimetype="text/html")


@bp.after_request
def _headers(response: Response) -> Response:
    return page_headers(response, "'none'")
