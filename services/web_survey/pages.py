"""The questionnaire page a link opens: server-rendered HTML, complete without JavaScript.

GET shows the form (and records the response as started); POST validates with the same
marshmallow checks as the JSON API and either thanks the customer or shows the form again with
every answer kept, a summary of the problems at the top and a message beside each.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException

from survey_core.links import LinkExpired, LinkInvalid
from survey_core.storage.breaker import DATABASE_DOWN, breaker
from survey_core.storage.client import get_db
from survey_core.surveys.answers import asked, check_answers, from_form
from survey_core.surveys.definitions import localised
from survey_core.surveys.schema import SCALES, TEXT_MAX_LENGTH
from survey_core.web.security import CSRF_FIELD, csrf_ok, csrf_token, page_headers
from web_survey import questionnaire
from web_survey.questionnaire import Link, LinkUnknown
from web_survey.settings import WebSettings

bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


class PageError(Exception):
    def __init__(self, status: int, kind: str) -> None:
        super().__init__(kind)
        self.status, self.kind = status, kind


def _settings() -> WebSettings:
    return current_app.config["SETTINGS"]


def _link(token: str) -> Link:
    try:
        link = questionnaire.load(get_db(), _settings(), token)
    except (LinkInvalid, LinkUnknown):
        raise PageError(404, "not_found") from None
    except LinkExpired:
        raise PageError(410, "expired") from None
    g.language = _language(link)
    if link.answered:
        raise PageError(409, "answered")
    return link


def _language(link: Link) -> str:
    """The page's language: the switch's choice (`?lang=` or the form's), else the link's."""
    asked_for = request.values.get("lang")
    return asked_for if asked_for in link.survey["languages"] else link.language


def scale_labels(kind: str) -> dict[int, str]:
    """The label of each option of a scored question (NPS options are their numbers)."""
    if kind == "csat":
        words = [
            _("Very dissatisfied"),
            _("Dissatisfied"),
            _("Neither satisfied nor dissatisfied"),
            _("Satisfied"),
            _("Very satisfied"),
        ]
    elif kind == "ces":
        words = [
            _("Very easy"),
            _("Easy"),
            _("Neither easy nor difficult"),
            _("Difficult"),
            _("Very difficult"),
        ]
    else:
        low, high = SCALES[kind]
        return {n: str(n) for n in range(low, high + 1)}
    return dict(enumerate(words, start=1))


def _problem(question: dict[str, Any], answers: dict[str, Any]) -> str:
    """The message shown beside a question whose answer was refused."""
    kind = question["type"]
    if question["key"] not in answers:
        return _("Please answer this question.")
    if kind in SCALES:
        low, high = SCALES[kind]
        return _("Choose a score from %(low)s to %(high)s.", low=low, high=high)
    if kind == "choice":
        return _("Choose one of the options.")
    if kind == "multi":
        return _("Choose from the options, each once.")
    limit = question.get("max_length") or TEXT_MAX_LENGTH
    return _("Please keep your answer to %(limit)s characters or fewer.", limit=limit)


def _form(link: Link, answers: dict[str, Any], errors: dict[str, Any], status: int) -> Response:
    questions = asked(link.survey)
    problems = {q["key"]: _problem(q, answers) for q in questions if q["key"] in errors}
    html = render_template(
        "questionnaire.html",
        link=link,
        language=g.language,
        title=localised(link.survey["title"], g.language),
        greeting=localised(link.survey["greeting"], g.language),
        questions=questions,
        answers=answers,
        problems=problems,
        scale_labels=scale_labels,
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(_settings().secret_key, link.invitation["_id"]),
        localised=localised,
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/s/<token>")
def questionnaire_page(token: str) -> Response:
    """The questionnaire; opening it starts the response."""
    link = _link(token)
    questionnaire.open_link(get_db(), link)
    return _form(link, link.saved, {}, 200)


@bp.post("/s/<token>")
def questionnaire_post(token: str) -> Response:
    """Submit the form: thanks, or the form again with every answer kept."""
    link = _link(token)
    settings = _settings()
    lifetime = int(settings.link_ttl_hours * 3600) + 86400
    if not csrf_ok(
        settings.secret_key, link.invitation["_id"], request, lifetime, settings.public_base_url
    ):
        raise PageError(400, "stale_form")
    answers = from_form(link.survey, request.form)
    try:
        checked = check_answers(link.survey, answers)
    except ValidationError as exc:
        errors = exc.messages if isinstance(exc.messages, dict) else {}
        return _form(link, answers, errors, 422)
    if not questionnaire.submit(get_db(), link, checked):
        raise PageError(409, "answered")
    html = render_template(
        "message.html",
        language=g.language,
        heading=_("Thank you"),
        text=localised(link.survey["thanks"], g.language),
    )
    return Response(html, status=200, mimetype="text/html")


# Pages say what happened in words, never as JSON or a stack trace.
MESSAGES = {
    "not_found": (_l("Link not found"), _l("This survey link is not valid.")),
    "expired": (_l("Link expired"), _l("This survey link has expired. Thank you all the same.")),
    "answered": (
        _l("Already answered"),
        _l("You have already answered this survey. Thank you!"),
    ),
    "stale_form": (
        _l("Please try again"),
        _l("This form has expired. Reload the page to answer."),
    ),
    "unavailable": (_l("Please try again shortly"), _l("We cannot take answers at the moment.")),
    "too_many": (
        _l("Please slow down"),
        _l("Too many requests. Please wait a minute and try again."),
    ),
    "error": (_l("Something went wrong"), _l("This request could not be handled.")),
}


def _message_page(status: int, kind: str) -> Response:
    heading, text = MESSAGES[kind]
    html = render_template("message.html", language=g.get("language"), heading=heading, text=text)
    response = Response(html, status=status, mimetype="text/html")
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


@bp.errorhandler(PageError)
def _page_error(exc: PageError) -> Response:
    return _message_page(exc.status, exc.kind)


@bp.errorhandler(PyMongoError)
def _database_error(exc: PyMongoError) -> Response:
    if isinstance(exc, DATABASE_DOWN):
        breaker.trip()
    return _message_page(503, "unavailable")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    return _message_page(status, "too_many" if status == 429 else "error")


@bp.after_request
def _headers(response: Response) -> Response:
    return page_headers(response, _settings().frame_ancestors)
