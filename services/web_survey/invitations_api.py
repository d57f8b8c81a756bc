"""JSON API of invitations (write scope): one signed link per contact, singly or in batches,
texted through Twilio on request."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import request, url_for
from flask_smorest import Blueprint
from twilio.base.exceptions import TwilioException, TwilioRestException

from survey_core.messaging import twilio_client
from survey_core.questionnaires import invitations
from survey_core.storage.client import get_db
from survey_core.surveys.definitions import channels_of, localised
from survey_core.web.app import public_base
from survey_core.web.auth import require_api_key
from survey_core.web.context import survey_catalog
from survey_core.web.errors import APIError
from survey_core.web.openapi import error_responses
from web_survey import service
from web_survey.schemas import (
    InvitationBatchRequestSchema,
    InvitationBatchSchema,
    InvitationRequestSchema,
    InvitationSchema,
)

log = logging.getLogger("voc.web.api")
bp = Blueprint(
    "invitations", __name__, url_prefix="/api/v1", description="Survey links (write scope)."
)
BATCH_MAX_BYTES = 1024 * 1024  # 1,000 invitations; MAX_CONTENT_LENGTH bounds the rest
_KEY = {401: "No API key, or an unknown or revoked one.", 403: "The key lacks the write scope."}


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
    survey = survey_catalog().latest(get_db(), body["survey"])
    if survey is None:
        raise _invalid("survey", f"There is no survey {body['survey']!r}.")
    if body["channel"] not in channels_of(survey):
        raise _invalid("channel", f"Survey {body['survey']!r} is not used on {body['channel']}.")
    if body.get("lang") and body["lang"] not in survey["languages"]:
        raise _invalid("lang", f"Survey {body['survey']!r} has no {body['lang']} version.")
    if body["send"] and (body["channel"] != "sms" or not body.get("phone")):
        raise _invalid("send", "Only an sms invitation with a `phone` can be sent.")
    if body["send"] and not service.settings().twilio_from_number:
        # Refused before anything is stored: the caller may invite without `send`.
        raise _invalid("send", "This deployment sends no texts: TWILIO_FROM_NUMBER is not set.")
    return survey


def _send(invitation: dict[str, Any], survey: dict[str, Any], phone: str, url: str) -> None:
    settings = service.settings()
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
    done = invitations.invite_many(get_db(), service.link_policy(), [(survey, body)])[0]
    return _outcome(body, survey, done)


def _outcome(
    body: dict[str, Any],
    survey: dict[str, Any],
    done: invitations.Invited | invitations.SurveySuppressed,
) -> tuple[str, dict[str, Any] | None]:
    """What one invitation request came to (sent first, if it asked to be)."""
    if isinstance(done, invitations.SurveySuppressed):
        return "recently_surveyed", None
    shown = _shown(done.invitation, done.created)
    if body["send"] and not done.invitation.get("sent_at"):
        _send(done.invitation, survey, body["phone"], shown["url"])
        shown["sent_at"] = done.invitation["sent_at"]
    return ("created" if done.created else "existing"), shown


@bp.post("/invitations")
@require_api_key("write")
@bp.arguments(InvitationRequestSchema)
@error_responses(
    bp,
    {
        **_KEY,
        400: "The body is not valid JSON.",
        409: "`recently_surveyed`: the customer was surveyed within the survey's `suppress_days`.",
        422: "`validation_error`: bad fields, an unknown survey, a channel the survey is "
        "not used on.",
        502: "`twilio_error` or `twilio_unreachable` (with `send`).",
    },
)
@bp.response(201, InvitationSchema)
@bp.alt_response(200, schema=InvitationSchema, description="The contact's link.")
def create_invitation(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a survey link for one contact (200 with the first link if it has one)."""
    outcome, shown = _invite(body)
    if shown is None:
        raise APIError(409, "recently_surveyed", "This customer was surveyed recently.")
    return shown, (201 if outcome == "created" else 200)


@bp.before_request
def _room_for_a_batch() -> None:
    if request.endpoint == "invitations.create_invitations":
        request.max_content_length = BATCH_MAX_BYTES


@bp.post("/invitations:batch")
@require_api_key("write")
@bp.arguments(InvitationBatchRequestSchema)
@error_responses(
    bp,
    {**_KEY, 400: "The body is not valid JSON.", 422: "`validation_error` (by item index)."},
)
@bp.response(200, InvitationBatchSchema)
def create_invitations(body: dict[str, Any]) -> dict[str, Any]:
    """Create up to 1,000 links at once; one outcome per item, in order. Every item is
    checked before any is stored; the links are made in four database round trips."""
    counts = {"created": 0, "existing": 0, "recently_surveyed": 0}
    results = []
    items = body["invitations"]
    surveys = [_survey_for(item) for item in items]
    asked = list(zip(surveys, items, strict=True))
    made = invitations.invite_many(get_db(), service.link_policy(), asked)
    for index, (item, survey, done) in enumerate(zip(items, surveys, made, strict=True)):
        outcome, shown = _outcome(item, survey, done)
        counts[outcome] += 1
        results.append({"index": index, "outcome": outcome, "invitation": shown})
    return {**counts, "results": results}
