"""JSON API of the training survey: trainers (admin), sessions and their links (write), and
evaluations from a learning platform's own form (the link's token is the credential)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import ValidationError

from survey_core.questionnaires import links
from survey_core.questionnaires.links import Link, LinkUnknown
from survey_core.ranking import rating
from survey_core.reports import queries
from survey_core.reports.released import Release, SessionFigures, sessions_of_month
from survey_core.statuses import Status
from survey_core.storage.client import get_db
from survey_core.surveys.answers import check_answers
from survey_core.tokens import LinkExpired, LinkInvalid
from survey_core.training import sessions
from survey_core.web.app import public_base
from survey_core.web.auth import require_api_key
from survey_core.web.context import snapshot, survey_catalog
from survey_core.web.errors import APIError
from survey_core.web.openapi import AUTH_ERRORS, BODY_ERRORS, error_responses, public
from training_survey import service
from training_survey.default_survey import CRITERIA, TRAINING_SURVEY
from training_survey.schemas import (
    EvaluationRequestSchema,
    EvaluationSchema,
    SessionListSchema,
    SessionQuerySchema,
    SessionRequestSchema,
    SessionSchema,
    TrainerListSchema,
    TrainerSchema,
)

bp = Blueprint("training", __name__, url_prefix="/api/v1", description="Trainers and sessions.")
evaluations_bp = Blueprint(
    "evaluations",
    __name__,
    url_prefix="/api/v1",
    description="Evaluations from a form of your own; the link's token is the credential.",
)
_AUTH = AUTH_ERRORS
_BODY = BODY_ERRORS


def _invalid(errors: dict[str, Any]) -> APIError:
    return APIError(422, "validation_error", "The request has invalid fields.", errors)


@bp.post("/trainers")
@require_api_key("admin")
@bp.arguments(TrainerSchema)
@error_responses(bp, {**_AUTH, **_BODY, 409: "`trainer_exists`."})
@bp.response(201, TrainerSchema)
def add_trainer(body: dict[str, Any]) -> dict[str, Any]:
    """Add a trainer (id, name, team, active)."""
    if sessions.add_trainer(get_db(), body) is None:
        raise APIError(409, "trainer_exists", f"Trainer {body['id']!r} exists.")
    return body


@bp.get("/trainers")
@require_api_key("admin")
@error_responses(bp, _AUTH)
@bp.response(200, TrainerListSchema)
def list_trainers() -> dict[str, Any]:
    """Every trainer."""
    return {"trainers": [{"id": t["_id"], **t} for t in sessions.trainers(get_db())]}


def _shown(fig: SessionFigures) -> dict[str, Any]:
    """A session as the release rule lets anyone see it: nothing of its evaluations while its
    window is open, their count once it closed, figures and comments only once released."""
    session, release = fig.session, fig.release
    counted = release is not Release.OPEN
    released = release is Release.RELEASED
    answered = fig.answered if counted else None
    row = {
        "session_id": session["_id"],
        **{k: session.get(k) for k in ("trainer_id", "topic", "held_at", "month", "language")},
        "closed_at": session.get("closed_at"),
        "links_expire_at": session.get("links_expire_at"),
        "invited": session["invited"],
        "status": release.value,
        "answered": answered,
        "response_rate": (
            answered / session["invited"] if answered is not None and session["invited"] else None
        ),
        "shown": released,
    }
    for criterion in CRITERIA:
        row[criterion] = rating(fig.counters["ratings"].get(criterion)) if released else None
    key = service.settings().phone_hash_key
    row["comments"] = (
        sessions.comments(get_db(), session["_id"], key, fig.answered) if released else None
    )
    return row


def _figures_of(session: dict[str, Any]) -> SessionFigures:
    """One session's figures under the release rule."""
    minimum = service.settings().anonymity_min
    found = sessions_of_month(snapshot(), session["month"], minimum, session["trainer_id"])
    return next(f for f in found if f.session["_id"] == session["_id"])


@bp.post("/sessions")
@require_api_key("write")
@bp.arguments(SessionRequestSchema)
@error_responses(bp, {**_AUTH, **_BODY})
@bp.response(201, SessionSchema)
def create_session(body: dict[str, Any]) -> dict[str, Any]:
    """Record a session and make one evaluation link per trainee (signed, single use)."""
    db = get_db()
    survey = survey_catalog().latest(db, TRAINING_SURVEY)
    try:
        session, made = sessions.create_session(
            db, service.settings(), service.link_policy(), survey or {}, body
        )
    except sessions.Invalid as exc:
        raise _invalid(exc.errors) from None
    base = public_base()
    opened = SessionFigures(session, queries.merge_docs([]), Release.OPEN)
    return {
        **_shown(opened),
        "links": [
            {
                "trainee_id": trainee,
                "url": base + url_for("pages.questionnaire_page", token=inv["token"]),
                "token": inv["token"],
                "expires_at": inv["expires_at"],
            }
            for trainee, inv in made
        ],
    }


@bp.get("/sessions")
@require_api_key("write")
@bp.arguments(SessionQuerySchema, location="query")
@error_responses(bp, {**_AUTH, 422: "`validation_error`."})
@bp.response(200, SessionListSchema)
def list_sessions(query: dict[str, Any]) -> dict[str, Any]:
    """Sessions of a month and/or trainer, with invited, answered and response rate."""
    db = get_db()
    found = sessions.sessions(db, query.get("month"), query.get("trainer"))
    minimum = service.settings().anonymity_min
    figures: dict[str, SessionFigures] = {}
    for month in sorted({s["month"] for s in found}):
        for fig in sessions_of_month(snapshot(), month, minimum, query.get("trainer")):
            figures[fig.session["_id"]] = fig
    return {"sessions": [_shown(figures[s["_id"]]) for s in found if s["_id"] in figures]}


@bp.post("/sessions/<session_id>/close")
@require_api_key("write")
@error_responses(bp, {**_AUTH, 404: "`session_not_found`."})
@bp.response(200, SessionSchema)
def close_session(session_id: str) -> dict[str, Any]:
    """Close a session early: its links take no more evaluations."""
    db = get_db()
    try:
        session = sessions.close_session(db, session_id)
    except sessions.NotFound:
        raise APIError(404, "session_not_found", "There is no such session.") from None
    service.closed_sessions().remember(session_id, True)
    return _shown(_figures_of(session))


def _link(token: str) -> Link:
    db = get_db()
    try:
        link = links.load(db, service.link_policy(), survey_catalog(), token, history=False)
    except (LinkInvalid, LinkUnknown):
        raise APIError(404, "link_not_found", "This evaluation link is not valid.") from None
    except LinkExpired:
        raise APIError(410, "link_expired", "This evaluation link has expired.") from None
    if service.closed(db, link):
        raise APIError(410, "session_closed", "This session takes no more evaluations.")
    return link


@evaluations_bp.post("/evaluations")
@public(evaluations_bp)
@evaluations_bp.arguments(EvaluationRequestSchema)
@error_responses(
    evaluations_bp,
    {
        **_BODY,
        404: "`link_not_found`.",
        409: "`already_answered`: one evaluation per trainee.",
        410: "`link_expired` or `session_closed`.",
        429: "`too_many_requests`.",
    },
)
@evaluations_bp.response(201, EvaluationSchema)
def submit_evaluation(body: dict[str, Any]) -> dict[str, Any]:
    """Submit a trainee's evaluation (ratings 1-5, optional recommend 0-10 and comment)."""
    link = _link(body["token"])
    try:
        answers = check_answers(link.survey, body["answers"])
    except ValidationError as exc:
        raise _invalid({"answers": exc.messages}) from None
    if not links.submit(get_db(), service.spool(), link, answers):
        raise APIError(409, "already_answered", "This evaluation has been given already.")
    meta = link.meta
    return {
        "session_id": meta["session_id"],
        "trainer_id": meta["trainer_id"],
        "status": Status.COMPLETE,
        "answers": answers,
    }
