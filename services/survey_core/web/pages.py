"""The questionnaire page a link opens: server-rendered HTML, complete without JavaScript.

GET shows the form (and records the response as started); POST validates with the same
marshmallow checks as the JSON API and either thanks the respondent or shows the form again
with every answer kept, a summary of the problems at the top and a message beside each. A
survey with display conditions is asked in steps (`survey_core.surveys.steps`): the questions
the first step's answers open come on a second page, the earlier answers carried in hidden
fields (nothing is stored until the last step is submitted). The web survey (`/s/<token>`)
and the training survey (`/t/<token>`) each build one with `pages_blueprint`;
templates, styles and catalogs live beside this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, render_template, request
from flask_babel import Babel
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException

from survey_core.documents import Db
from survey_core.questionnaires import links
from survey_core.questionnaires.invitations import LinkPolicy
from survey_core.questionnaires.links import Link, LinkUnknown
from survey_core.responses.spool import Spool
from survey_core.settings import LinkSettings
from survey_core.storage.breaker import DATABASE_DOWN, breaker
from survey_core.storage.client import get_db
from survey_core.surveys.answers import REQUIRED, asked, check_answers, from_form
from survey_core.surveys.definitions import localised
from survey_core.surveys.schema import LANGUAGES, REASON, SCALE_OF, SCALES, TEXT_MAX_LENGTH
from survey_core.surveys.steps import steps_of
from survey_core.tokens import LinkExpired, LinkInvalid
from survey_core.web.context import survey_catalog
from survey_core.web.security import CSRF_FIELD, csrf_ok, csrf_token, page_headers

TRANSLATIONS = str(Path(__file__).with_name("translations"))
SPOOL = "link_spool"  # app.extensions key


@dataclass(frozen=True)
class Questionnaires:
    """What a service's questionnaire pages and APIs share: its links and its surveys."""

    purpose: str  # the links' purpose ("survey", "training")
    closed: Callable[[Db, Link], bool] = lambda db, link: False  # e.g. a closed session
    # Pages never tell a used link from an unused one (the page opens the same, blank form)
    # until a valid submission with a good CSRF token: for links someone other than the
    # respondent holds (a session's organiser holds every trainee's link).
    discreet: bool = False

    def policy(self) -> LinkPolicy:
        """How this service's links are made and read."""
        return policy(current_app.config["SETTINGS"], self.purpose)

    def spool(self) -> Spool:
        """Where writes wait while the database is down (`surveyctl worker` replays them)."""
        spool: Spool = current_app.extensions[SPOOL]
        return spool


def policy(settings: LinkSettings, purpose: str) -> LinkPolicy:
    """The link policy of a service's settings."""
    return LinkPolicy(
        purpose, settings.secret_key, settings.phone_hash_key, settings.link_ttl_hours, settings.tz
    )


class PageError(Exception):
    def __init__(self, status: int, kind: str) -> None:
        super().__init__(kind)
        self.status, self.kind = status, kind


def _settings() -> LinkSettings:
    settings: LinkSettings = current_app.config["SETTINGS"]
    return settings


def _genuine(service: Questionnaires, token: str, history: bool = True) -> Link:
    """The link `token` opens (404, 410 pages otherwise), whether answered or not (with
    `history`, where its response stands; without, no read when the token carries its
    claims)."""
    db = get_db()
    try:
        link = links.load(db, service.policy(), survey_catalog(), token, history)
    except (LinkInvalid, LinkUnknown):
        raise PageError(404, "not_found") from None
    except LinkExpired:
        raise PageError(410, "expired") from None
    g.language = _language(link)
    return link


def _still_open(service: Questionnaires, link: Link) -> None:
    """Refuse a link whose session is closed (410), else an answered one (409): closed first,
    so that once a session is closed its used and unused links answer alike."""
    _refuse_closed(service, link)
    if link.answered:
        raise PageError(409, "answered")


def _refuse_closed(service: Questionnaires, link: Link) -> None:
    if service.closed(get_db(), link):
        raise PageError(410, "closed")


def _language(link: Link) -> str:
    """The page's language: the switch's choice (`?lang=` or the form's), else the link's."""
    asked_for = request.values.get("lang")
    return asked_for if asked_for and asked_for in link.survey["languages"] else link.language


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
    elif kind == "rating":
        words = [_("Poor"), _("Fair"), _("Good"), _("Very good"), _("Excellent")]
    else:
        low, high = SCALES[kind]
        return {n: str(n) for n in range(low, high + 1)}
    return dict(enumerate(words, start=1))


def _problem(question: dict[str, Any], answers: dict[str, Any]) -> str:
    """The message shown beside a question whose answer was refused."""
    kind = question["type"]
    if question["key"] not in answers:
        return _("Please answer this question.")
    if kind in SCALE_OF:
        low, high = SCALE_OF[kind]
        return _("Choose a score from %(low)s to %(high)s.", low=low, high=high)
    if kind in ("choice", REASON):
        return _("Choose one of the options.")
    if kind == "multi":
        return _("Choose from the options, each once.")
    limit = question.get("max_length") or TEXT_MAX_LENGTH
    return _("Please keep your answer to %(limit)s characters or fewer.", limit=limit)


def _form(
    link: Link, answers: dict[str, Any], errors: dict[str, Any], status: int, step: int = 1
) -> Response:
    """Step `step` of the questionnaire, the answers of the steps before it carried along."""
    steps = steps_of(asked(link.survey), answers)
    step = min(step, len(steps))
    questions = steps[step - 1]
    earlier = {q["key"] for page in steps[: step - 1] for q in page}
    problems = {q["key"]: _problem(q, answers) for q in questions if q["key"] in errors}
    html = render_template(
        "questionnaire.html",
        link=link,
        language=g.language,
        title=localised(link.survey["title"], g.language),
        greeting=localised(link.survey["greeting"], g.language),
        questions=questions,
        answers=answers,
        carried={k: v for k, v in answers.items() if k in earlier},
        step=step,
        problems=problems,
        scale_labels=scale_labels,
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(_settings().secret_key, link.invitation["_id"]),
        localised=localised,
    )
    return Response(html, status=status, mimetype="text/html")


# Pages say what happened in words, never as JSON or a stack trace.
MESSAGES = {
    "not_found": (_l("Link not found"), _l("This survey link is not valid.")),
    "expired": (_l("Link expired"), _l("This survey link has expired. Thank you all the same.")),
    "closed": (_l("Evaluation closed"), _l("This session no longer takes evaluations. Thank you.")),
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


def pages_blueprint(prefix: str, service: Questionnaires) -> Blueprint:
    """The questionnaire pages at `/<prefix>/<token>` (GET shows, POST submits)."""
    bp = Blueprint(
        "pages",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static/voc",
    )

    @bp.get(f"/{prefix}/<token>")
    def questionnaire_page(token: str) -> Response:
        """The questionnaire; opening it starts the response. A discreet service opens a
        used link's form too, blank (never its answers), as an unused one's."""
        link = _genuine(service, token)
        if service.discreet:
            _refuse_closed(service, link)
        else:
            _still_open(service, link)
        links.open_link(get_db(), service.spool(), link)
        return _form(link, {} if service.discreet else link.saved, {}, 200)

    @bp.post(f"/{prefix}/<token>")
    def questionnaire_post(token: str) -> Response:
        """Submit the form: thanks, or the form again with every answer kept.

        Whether the link was used already is told only to a post with a good CSRF token and
        valid answers: any other post is answered alike for a used and an unused link, so
        holding a link does not tell whether (or when) its trainee answered. A valid post is
        one keyed insert: whether the link was answered already, the insert tells."""
        link = _genuine(service, token, history=False)
        settings = _settings()
        lifetime = int(settings.link_ttl_hours * 3600) + 86400
        bound_to = link.invitation["_id"]
        if not csrf_ok(settings.secret_key, bound_to, request, lifetime, settings.public_base_url):
            raise PageError(400, "stale_form")
        answers, step = _posted(link.survey)
        if request.form.get("back") and step > 1:  # to the step before, answers kept
            return _form(link, answers, {}, 200, step - 1)
        try:
            _check_steps(link.survey, answers, step)
            if step < len(steps_of(asked(link.survey), answers)):  # the answers open more
                return _form(link, answers, {}, 200, step + 1)
            checked = check_answers(link.survey, answers)
        except ValidationError as exc:
            errors = exc.messages if isinstance(exc.messages, dict) else {}
            return _form(link, answers, errors, 422, _first_step_with(link.survey, answers, errors))
        _still_open(service, link)
        if not links.submit(get_db(), service.spool(), link, checked):
            raise PageError(409, "answered")
        html = render_template(
            "message.html",
            language=g.language,
            heading=_("Thank you"),
            text=localised(link.survey["thanks"], g.language),
        )
        return Response(html, status=200, mimetype="text/html")

    bp.register_error_handler(PageError, _page_error)
    bp.register_error_handler(PyMongoError, _database_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.after_request(_headers)
    return bp


MAX_STEPS = 50  # a survey's most questions: never more steps than that


def _posted(survey: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The answers a step posted (its own and the earlier steps'), only those of its steps
    and the ones before, and the step's number (1 when absent or not a number)."""
    raw = request.form.get("step", "1")
    step = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 2 else 1
    step = max(1, min(step, MAX_STEPS))
    answers = from_form(survey, request.form)
    steps = steps_of(asked(survey), answers)
    keep = {q["key"] for page in steps[:step] for q in page}
    return {k: v for k, v in answers.items() if k in keep}, min(step, len(steps))


def _check_steps(survey: dict[str, Any], answers: dict[str, Any], step: int) -> None:
    """Check the answers of steps 1..`step` (ValidationError: types, and required questions
    left unanswered on them)."""
    check_answers(survey, answers, partial=True)
    steps = steps_of(asked(survey), answers)
    missing = {
        q["key"]: [REQUIRED]
        for page in steps[:step]
        for q in page
        if q.get("required", True) and q["key"] not in answers
    }
    if missing:
        raise ValidationError(missing)


def _first_step_with(survey: dict[str, Any], answers: dict[str, Any], errors: Any) -> int:
    """The number of the first step holding a question with an error."""
    for n, page in enumerate(steps_of(asked(survey), answers), start=1):
        if any(q["key"] in errors for q in page):
            return n
    return 1


def _page_error(exc: PageError) -> Response:
    return _message_page(exc.status, exc.kind)


def _database_error(exc: PyMongoError) -> Response:
    if isinstance(exc, DATABASE_DOWN):
        breaker.trip(exc)
    return _message_page(503, "unavailable")


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    return _message_page(status, "too_many" if status == 429 else "error")


def _headers(response: Response) -> Response:
    return page_headers(response, _settings().frame_ancestors)


def page_locale() -> str:
    """Babel's locale: the page's language (zh-CN -> zh_CN), else the one asked for with
    `?lang=`, else the browser's best match. (Only the query string: reading a form here
    would raise again the 413 that an error page is being rendered for.)"""
    asked_for = request.args.get("lang")
    language = (
        g.get("language")
        or (asked_for if asked_for in LANGUAGES else None)
        or request.accept_languages.best_match(LANGUAGES)
        or "zh-CN"
    )
    return str(language).replace("-", "_")


def init_app(app: Flask, prefix: str, service: Questionnaires) -> Blueprint:
    """Serve `service`'s questionnaire pages at `/<prefix>/<token>`, in the page languages."""
    app.config.update(BABEL_DEFAULT_LOCALE="zh_CN", BABEL_TRANSLATION_DIRECTORIES=TRANSLATIONS)
    app.extensions[SPOOL] = Spool(app.config["SETTINGS"].spool_dir)
    Babel(app, locale_selector=page_locale)
    blueprint = pages_blueprint(prefix, service)
    app.register_blueprint(blueprint)
    return blueprint
