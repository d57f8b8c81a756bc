"""JSON API of the web survey: invitations (write scope) and answers from chat widgets (the
link's token is the credential: a widget holds no API key)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import current_app, request, url_for
from flask_smorest import Blueprint
from marshmallow import ValidationError
from twilio.base.exceptions import TwilioException, TwilioRestException

from survey_core.links import LinkExpired, LinkInvalid
from survey_core.messaging import twilio_client
from survey_core.storage.client import get_db
from survey_core.surveys.answers import asked, check_answers
from survey_core.surveys.definitions import channels_of, localised
from survey_core.web.app import public_base
from survey_core.web.auth import require_api_key
from survey_core.web.errors import APIError
from survey_core.web.openapi import error_responses
from web_survey import invitations, questionnaire
from web_survey.questionnaire import Link, LinkUnknown, catalog
from web_survey.schemas import (
    AnswersRequestSchema,
    InvitationBatchRequestSchema,
    InvitationBatchSchema,
    InvitationRequestSchema,
    InvitationSchema,
    QuestionnaireSchema,
    ResponseSchema,
)
from web_survey.settings import WebSettings

log = logging.getLogger("voc.web.api")
invitations_bp = Blueprint(
    "invitations", __name__, url_prefix="/api/v1", description="Survey links (write scope)."
)
responses_bp = Blueprint(
    "responses",
    __name__,
    url_prefix="/api/v1",
    description="Answers from chat widgets and other forms of your own; the link's token "
    "is the credential.",
)
BATCH_MAX_BYTES = 1024 * 1024  # 1,000 invitations; MAX_CONTENT_LENGTH bounds the rest
_KEY = {401: "No API key, or an unknown or revoked one.", 403: "The key lacks the write scope."}
_LINK = {
    400: "The body is not valid JSON.",
    404: "`link_not_found`: the token is not genuine (tampered, truncated) or unknown.",
    410: "`link_expired`.",
    422: "`validation_error`: `errors.answers` names each bad answer (a score of 3.5, "
    '"4" or true is refused, not coerced).',
    429: "`too_many_requests`: per client address.",
}


def _settings() -> WebSettings:
    return current_app.config["SETTINGS"]


def _invalid(field: str, message: str) -> APIError:
    return APIError(422, "validation_error", "The request has invalid fields.", {field: [message]})


def _shown(invitation: dict[str, Any], created: bool) -> dict[str, Any]:
    meta = invitation["meta"]
    return {
        "url": public_base() + url_for("pages.questionnaire_page", token=invitation["token"]),
        "token": invitation["token"],
        "expires_at": invitation["expires_at"],
        "survey": meta["survey"],
        "version": meta["version"],
        "channel": meta["channel"],
        "interaction_id": meta["interaction_id"],
        "language": meta["language"],
        "created": created,
        "sent_at": invitation.get("sent_at"),
    }


def _survey_for(body: dict[str, Any]) -> dict[str, Any]:
    survey = catalog.latest(get_db(), body["survey"])
    if survey is None:
        raise _invalid("survey", f"There is no survey {body['survey']!r}.")
    if body["channel"] not in channels_of(survey):
        raise _invalid("channel", f"Survey {body['survey']!r} is not used on {body['channel']}.")
    if body.get("lang") and body["lang"] not in survey["languages"]:
        raise _invalid("lang", f"Survey {body['survey']!r} has no {body['lang']} version.")
    if body["send"] and (body["channel"] != "sms" or not body.get("phone")):
        raise _invalid("send", "Only an sms invitation with a `phone` can be sent.")
    return survey


def _send(invitation: dict[str, Any], survey: dict[str, Any], phone: str, url: str) -> None:
    settings = _settings()
    if not settings.twilio_from_number:
        raise APIError(503, "not_configured", "TWILIO_FROM_NUMBER is not set.")
    text = f"{localised(survey['title'], invitation['meta']['language'])} {url}"
    try:
        message = twilio_client(settings).messages.create(
            to=phone, from_=settings.twilio_from_number, body=text
        )
    except TwilioRestException as exc:
        log.warning("twilio refused the message: %s %s", exc.status, exc.code)
        raise APIError(502, "twilio_error", f"Twilio refused the message: {exc.msg}") from None
    except TwilioException as exc:
        raise APIError(502, "twilio_unreachable", f"Twilio could not be reached: {exc}") from None
    invitations.mark_sent(get_db(), invitation, str(message.sid))
    invitation["sent_at"] = datetime.now(UTC)


def _invite(body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    survey = _survey_for(body)
    try:
        done = invitations.invite(get_db(), _settings(), survey, body)
    except invitations.SurveySuppressed:
        return "recently_surveyed", None
    shown = _shown(done.invitation, done.created)
    if body["send"] and not done.invitation.get("sent_at"):
        _send(done.invitation, survey, body["phone"], shown["url"])
        shown["sent_at"] = done.invitation["sent_at"]
    return ("created" if done.created else "existing"), shown


@invitations_bp.post("/invitations")
@require_api_key("write")
@invitations_bp.arguments(InvitationRequestSchema)
@error_responses(
    invitations_bp,
    {
        **_KEY,
        400: "The body is not valid JSON.",
        409: "`recently_surveyed`: the customer was surveyed within the survey's `suppress_days`.",
        422: "`validation_error`: bad fields, an unknown survey, a channel the survey is "
        "not used on.",
        502: "`twilio_error` or `twilio_unreachable` (with `send`).",
    },
)
@invitations_bp.response(201, InvitationSchema)
@invitations_bp.alt_response(200, schema=InvitationSchema, description="The contact's link.")
def create_invitation(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a survey link for one contact (200 with the first link if it has one)."""
    outcome, shown = _invite(body)
    if shown is None:
        raise APIError(409, "recently_surveyed", "This customer was surveyed recently.")
    return shown, (201 if outcome == "created" else 200)


@invitations_bp.before_request
def _room_for_a_batch() -> None:
    if request.endpoint == "invitations.create_invitations":
        request.max_content_length = BATCH_MAX_BYTES


@invitations_bp.post("/invitations:batch")
@require_api_key("write")
@invitations_bp.arguments(InvitationBatchRequestSchema)
@error_responses(
    invitations_bp,
    {**_KEY, 400: "The body is not valid JSON.", 422: "`validation_error` (by item index)."},
)
@invitations_bp.response(200, InvitationBatchSchema)
def create_invitations(body: dict[str, Any]) -> dict[str, Any]:
    """Create up to 1,000 links at once; one outcome per item, in order."""
    counts = {"created": 0, "existing": 0, "recently_surveyed": 0}
    results = []
    for index, item in enumerate(body["invitations"]):
        outcome, shown = _invite(item)
        counts[outcome] += 1
        results.append({"index": index, "outcome": outcome, "invitation": shown})
    return {**counts, "results": results}


def _link(token: str) -> Link:
    try:
        return questionnaire.load(get_db(), _settings(), token)
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


@responses_bp.get("/responses/<token>")
@error_responses(responses_bp, {k: v for k, v in _LINK.items() if k in (404, 410, 429)})
@responses_bp.response(200, QuestionnaireSchema)
def read_response(token: str) -> dict[str, Any]:
    """The questionnaire behind a link and the answers saved so far."""
    link = _link(token)
    status = "complete" if link.answered else "in_progress"
    return {
        **_response(link, status, link.saved),
        "title": link.survey["title"],
        "questions": asked(link.survey),
    }


@responses_bp.post("/responses")
@responses_bp.arguments(AnswersRequestSchema)
@error_responses(responses_bp, {**_LINK, 409: "`already_answered`: one response per link."})
@responses_bp.response(201, ResponseSchema)
def submit_response(body: dict[str, Any]) -> dict[str, Any]:
    """Submit the answers of a link's questionnaire (once: a second submission is a 409)."""
    link = _open(body["token"])
    answers = _checked(link, body["answers"], partial=False)
    if not questionnaire.submit(get_db(), link, answers):
        raise APIError(409, "already_answered", "This survey has been answered already.")
    return _response(link, "complete", answers)


@responses_bp.patch("/responses")
@responses_bp.arguments(AnswersRequestSchema)
@error_responses(responses_bp, {**_LINK, 409: "`already_answered`."})
@responses_bp.response(200, ResponseSchema)
def save_response(body: dict[str, Any]) -> dict[str, Any]:
    """Save some answers now and finish later on the same link (partial if never finished)."""
    link = _open(body["token"])
    answers = _checked(link, body["answers"], partial=True)
    return _response(link, "in_progress", questionnaire.save_draft(get_db(), link, answers))
