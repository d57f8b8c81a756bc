"""JSON API of the IVR service: outbound call-back surveys."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, url_for
from flask_smorest import Blueprint
from twilio.base.exceptions import TwilioException, TwilioRestException

from ivr_survey.default_survey import DEFAULT_IVR_SURVEY
from ivr_survey.entry import begin
from ivr_survey.schemas import CallbackRequestSchema, CallbackResponseSchema
from ivr_survey.settings import IvrSettings
from survey_core.messaging import twilio_client
from survey_core.responses.admission import recently_surveyed
from survey_core.responses.dimensions import CONTACT
from survey_core.responses.hashing import caller_hash
from survey_core.storage.client import get_db
from survey_core.surveys.definitions import channels_of, get_survey
from survey_core.web.app import public_base
from survey_core.web.auth import require_api_key
from survey_core.web.errors import APIError
from survey_core.web.openapi import error_responses, init_api
from survey_core.web.surveys_api import bp as surveys_bp

log = logging.getLogger("voc.ivr.callbacks")
bp = Blueprint(
    "callbacks",
    __name__,
    url_prefix="/api/v1",
    description="Outbound call-back surveys placed through Twilio (admin scope).",
)


@bp.post("/callbacks")
@require_api_key("admin")  # outside the arguments: no key is a 401 before any 422
@bp.arguments(CallbackRequestSchema)
@error_responses(
    bp,
    {
        400: "The body is not valid JSON.",
        401: "No API key, or an unknown or revoked one.",
        403: "The API key lacks the admin scope.",
        409: "`recently_surveyed`: the customer took a survey within the survey's suppression "
        "window; `not_configured`: this deployment places no calls (TWILIO_FROM_NUMBER is not "
        "set).",
        422: "`validation_error`: `errors` names the bad fields (a number that is not E.164, "
        "an unknown survey or language, a missing interaction).",
        502: "`twilio_error` (Twilio refused the call) or `twilio_unreachable`.",
        503: "`database_unavailable`.",
    },
)
@bp.response(202, CallbackResponseSchema)
def create_callback(body: dict[str, Any]) -> dict[str, Any]:
    """Call a customer back for the post-call survey (places a real Twilio call).

    The call's voice URL and status callback point at this service's /ivr/* webhooks.
    """
    settings: IvrSettings = current_app.config["SETTINGS"]
    db = get_db()
    slug = body["survey"] or DEFAULT_IVR_SURVEY
    survey = get_survey(db, slug)
    if survey is None or "ivr" not in channels_of(survey):
        raise APIError(
            422,
            "validation_error",
            "The request has invalid fields.",
            {"survey": [f"No IVR survey {slug!r}."]},
        )
    hashed = caller_hash(body["to"], settings.phone_hash_key)
    if recently_surveyed(db, hashed, survey["suppress_days"], body["interaction"]):
        raise APIError(
            409,
            "recently_surveyed",
            f"This customer took a survey in the last {survey['suppress_days']} days.",
        )
    params = {
        k: v
        for k, v in {
            "survey": slug,
            **{d.name: body[d.name] for d in CONTACT},
            "lang": body["language"],
            "interaction": body["interaction"],
        }.items()
        if v
    }
    base = public_base()
    voice_url = base + url_for("ivr.voice", **params)
    # The status callback carries the call's identity, so a call nobody answers is still
    # recorded (as not reached) although it never reached /ivr/voice.
    state = begin(
        survey,
        settings,
        body["interaction"],
        body["language"],
        hashed,
        {d.name: body[d.name] for d in CONTACT},
    )
    status_url = base + url_for("ivr.status", state=state.encode())
    if not settings.twilio_from_number:
        raise APIError(
            409, "not_configured", "This deployment places no calls: TWILIO_FROM_NUMBER is not set."
        )
    try:
        call = twilio_client(settings).calls.create(
            to=body["to"],
            from_=settings.twilio_from_number,
            url=voice_url,
            method="POST",
            status_callback=status_url,
            status_callback_method="POST",
            status_callback_event=["completed"],
        )
    except TwilioRestException as exc:
        log.warning("twilio refused the call: %s %s", exc.status, exc.code)
        raise APIError(502, "twilio_error", f"Twilio refused the call: {exc.msg}") from None
    except TwilioException as exc:
        raise APIError(502, "twilio_unreachable", f"Twilio could not be reached: {exc}") from None
    return {"call_sid": call.sid, "status": call.status, "interaction": body["interaction"]}


def init_app(app: Flask) -> None:
    """Register the survey definitions and call-back APIs, with their OpenAPI document
    (/api/v1/openapi.json, /docs)."""
    init_api(app, "Voice of Customer IVR API", [surveys_bp, bp])
