"""JSON API for chat widgets and forms of your own: the link's token is the credential (a
widget holds no API key); one response per link, strict answers, drafts finished later."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import ValidationError

from survey_core.questionnaires import links
from survey_core.questionnaires.links import Link, LinkUnknown
from survey_core.statuses import Status
from survey_core.storage.client import get_db
from survey_core.surveys.answers import asked, check_answers
from survey_core.tokens import LinkExpired, LinkInvalid
from survey_core.web.context import survey_catalog
from survey_core.web.errors import APIError
from survey_core.web.openapi import error_responses, public
from web_survey import service
from web_survey.schemas import AnswersRequestSchema, QuestionnaireSchema, ResponseSchema

bp = Blueprint(
    "responses",
    __name__,
    url_prefix="/api/v1",
    description="Answers from chat widgets and other forms of your own; the link's token "
    "is the credential.",
)
_LINK = {
    400: "The body is not valid JSON.",
    404: "`link_not_found`: the token is not genuine (tampered, truncated) or unknown.",
    410: "`link_expired`.",
    422: "`validation_error`: `errors.answers` names each bad answer (a score of 3.5, "
    '"4" or true is refused, not coerced).',
    429: "`too_many_requests`: per client address.",
}


def _link(token: str, history: bool = True) -> Link:
    try:
        return links.load(get_db(), service.link_policy(), survey_catalog(), token, history)
    except (LinkInvalid, LinkUnknown):
        raise APIError(404, "link_not_found", "This survey link is not valid.") from None
    except LinkExpired:
        raise APIError(410, "link_expired", "This survey link has expired.") from None


def _response(link: Link, status: str, answers: dict[str, Any]) -> dict[str, Any]:
    meta = link.meta
    return {
        "survey": meta["survey"],
        "version": meta["version"],
        "channel": meta["channel"],
        "interaction_id": meta["interaction_id"],
        "language": link.language,
        "status": status,
        "answers": answers,
        "expires_at": link.invitation["expires_at"],
    }


def _open(token: str) -> Link:
    link = _link(token)
    if link.answered:
        raise APIError(409, "already_answered", "This survey has been answered already.")
    return link


def _checked(link: Link, answers: Any, partial: bool) -> dict[str, Any]:
    try:
        return check_answers(link.survey, answers, partial=partial)
    except ValidationError as exc:
        raise APIError(
            422, "validation_error", "The request has invalid fields.", {"answers": exc.messages}
        ) from None


@bp.get("/responses/<token>")
@public(bp)
@error_responses(bp, {k: v for k, v in _LINK.items() if k in (404, 410, 429)})
@bp.response(200, QuestionnaireSchema)
def read_response(token: str) -> dict[str, Any]:
    """The questionnaire behind a link and the answers saved so far."""
    link = _link(token)
    status = Status.COMPLETE if link.answered else Status.IN_PROGRESS
    return {
        **_response(link, status, link.saved),
        "title": link.survey["title"],
        "questions": asked(link.survey),
    }


@bp.post("/responses")
@public(bp)
@bp.arguments(AnswersRequestSchema)
@error_responses(bp, {**_LINK, 409: "`already_answered`: one response per link."})
@bp.response(201, ResponseSchema)
def submit_response(body: dict[str, Any]) -> dict[str, Any]:
    """Submit the answers of a link's questionnaire (once: a second submission is a 409)."""
    # The link's invitation only: whether it was answered already, its key's insert tells.
    link = _link(body["token"], history=False)
    answers = _checked(link, body["answers"], partial=False)
    if not links.submit(get_db(), service.spool(), link, answers):
        raise APIError(409, "already_answered", "This survey has been answered already.")
    return _response(link, Status.COMPLETE, answers)


@bp.patch("/responses")
@public(bp)
@bp.arguments(AnswersRequestSchema)
@error_responses(bp, {**_LINK, 409: "`already_answered`, or `too_many_saves` (30 per link)."})
@bp.response(200, ResponseSchema)
def save_response(body: dict[str, Any]) -> dict[str, Any]:
    """Save some answers now and finish later on the same link (partial if never finished)."""
    link = _open(body["token"])
    answers = _checked(link, body["answers"], partial=True)
    try:
        saved = links.save_draft(get_db(), service.spool(), link, answers)
    except links.TooManyDrafts:
        raise APIError(
            409, "too_many_saves", f"Answers were saved {links.MAX_DRAFTS} times; submit them."
        ) from None
    return _response(link, Status.IN_PROGRESS, saved)
