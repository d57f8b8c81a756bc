"""Twilio Voice webhooks: every answer is TwiML, every request signed by Twilio."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr_survey import twiml
from ivr_survey.callers import caller_hash
from ivr_survey.entry import admission, begin, resumed
from ivr_survey.flow import CallState, Step, advance, recorded
from ivr_survey.prompts import localised
from ivr_survey.schemas import (
    StateQuerySchema,
    TwilioCallSchema,
    VoiceQuerySchema,
)
from ivr_survey.signature import twilio_signed
from ivr_survey.spool import Spool
from ivr_survey.store import answer_record, catalog, meta_for, persist
from survey_core.errors import CLIENT_ERRORS, APIError, json_error
from survey_core.mongo import get_db
from survey_core.responses import OPEN, find_response
from survey_core.surveys import DEFAULT_IVR_SURVEY

log = logging.getLogger("voc.ivr")
# Schema instances are reusable and thread-safe for load; building one costs per request.
STATE_QUERY = StateQuerySchema()
VOICE_QUERY = VoiceQuerySchema()
TWILIO_CALL = TwilioCallSchema()
OPTIONAL_STATE_QUERY = StateQuerySchema(partial=("state",))
bp = Blueprint("ivr", __name__, url_prefix="/ivr")
FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


def _xml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _spool() -> Spool:
    return current_app.extensions["ivr_spool"]


def _state() -> CallState:
    token = STATE_QUERY.load(request.args)["state"]
    try:
        return CallState.decode(token)
    except ValueError:
        raise APIError(400, "bad_state", "The call state in the URL is malformed.") from None


def _urls(state: CallState) -> dict[str, str | None]:
    token = state.encode()
    transcribe = None
    if state.lang == "en-US":  # Twilio transcribes English recordings only
        transcribe = url_for("ivr.transcription", state=token)
    return {
        "action": url_for("ivr.answer", state=token),
        "record_action": url_for("ivr.record", state=token),
        "transcribe_action": transcribe,
    }


def _ask(response: VoiceResponse, survey: dict[str, Any], state: CallState) -> Response:
    """Append question `state.q` (or the thanks when past the end) and render."""
    if state.q >= len(survey["questions"]):
        return _xml(twiml.thanks(response, survey, state.lang))
    return _xml(twiml.question(response, survey, state.q, state.lang, **_urls(state)))


def _qtype(survey: dict[str, Any], key: str) -> str:
    return next(q["type"] for q in survey["questions"] if q["key"] == key)


def _save(survey: dict[str, Any], before: CallState, step: Step, call_sid: str) -> CallState:
    """Write what this step decided plus anything an outage held back; carry the rest along."""
    after = step.state
    keys = list(before.pending)
    if step.kind in ("answer", "skip"):
        keys.append(step.key)
    if not keys:
        return after
    meta = meta_for(after, call_sid)
    records = [
        {**answer_record(after, key, _qtype(survey, key), after.q), "meta": meta} for key in keys
    ]
    if step.done:  # the last question: its write also completes the response
        records[-1]["settle"] = True
    written = persist(get_db(), _spool(), records)
    return replace(after, pending=[] if written else sorted(set(keys)))


@bp.post("/voice")
@twilio_signed
def voice() -> Response:
    """A call enters the survey: sampling, suppression, greeting and the first question."""
    query = VOICE_QUERY.load(request.args)
    call = TWILIO_CALL.load(request.form)
    settings = current_app.config["SETTINGS"]
    db = get_db()
    survey = catalog.latest(db, query["survey"] or DEFAULT_IVR_SURVEY)
    if survey is None:
        log.error("unknown survey %r in the voice URL", query["survey"])
        return _xml(twiml.goodbye(query["lang"] or "en-US", "trouble"))
    outbound = call["Direction"].startswith("outbound")
    caller = caller_hash(call["To"] if outbound else call["From"], settings.phone_hash_key)
    state = begin(
        survey,
        settings,
        query["interaction"] or call["CallSid"],
        query["lang"],
        caller,
        query["agent"],
        query["team"],
        query["reason"],
    )
    status = admission(db, survey, state, call["CallSid"])
    record = {"op": "open", "meta": meta_for(state, call["CallSid"]), "status": status}
    if persist(db, _spool(), [record]) == [False]:  # a retry, or the call re-entering
        existing = find_response(db, {"channel": "ivr", "interaction_id": state.interaction})
        if existing is not None:
            return _resume(existing)
    if status != OPEN:
        return _xml(twiml.goodbye(state.lang))
    response = VoiceResponse()
    response.say(localised(survey["greeting"], state.lang), language=state.lang)
    return _ask(response, survey, state)


def _resume(doc: dict[str, Any]) -> Response:
    """Carry on where the call stands (or say goodbye if its survey is over)."""
    state = resumed(doc)
    if doc["status"] != OPEN:
        return _xml(twiml.goodbye(state.lang))
    survey = catalog.version(get_db(), state.survey, state.version)
    if survey is None:
        return _xml(twiml.goodbye(state.lang, "trouble"))
    response = VoiceResponse()
    if state.q == 0:
        response.say(localised(survey["greeting"], state.lang), language=state.lang)
    return _ask(response, survey, state)


def _in_call() -> tuple[CallState, dict[str, Any], dict[str, Any] | None]:
    """The call's state, Twilio's form, and the survey (None once the call is past its end)."""
    state = _state()
    call = TWILIO_CALL.load(request.form)
    survey = catalog.version(get_db(), state.survey, state.version)
    if survey is None or state.q >= len(survey["questions"]):
        return state, call, None
    return state, call, survey


@bp.post("/answer")
@twilio_signed
def answer() -> Response:
    """The caller pressed keys (or nothing) for the current question."""
    state, call, survey = _in_call()
    if survey is None:
        return _xml(twiml.goodbye(state.lang, "trouble"))
    step = advance(survey, state, call["Digits"])
    after = _save(survey, state, step, call["CallSid"])
    response = VoiceResponse()
    if step.kind in ("invalid", "silence"):
        twiml.say(response, step.kind, state.lang)
    return _ask(response, survey, after)


@bp.post("/record")
@twilio_signed
def record() -> Response:
    """A spoken comment was recorded: keep its URL and duration."""
    state, call, survey = _in_call()
    if survey is None:
        return _xml(twiml.goodbye(state.lang, "trouble"))
    step = recorded(survey, state, call["RecordingUrl"], call["RecordingDuration"])
    return _ask(VoiceResponse(), survey, _save(survey, state, step, call["CallSid"]))


@bp.post("/transcription")
@twilio_signed
def transcription() -> Response:
    """Twilio's transcription of a spoken comment, when it has one."""
    state = _state()
    call = TWILIO_CALL.load(request.form)
    if call["TranscriptionStatus"] == "completed" and call["TranscriptionText"]:
        survey = catalog.version(get_db(), state.survey, state.version)
        key = next(
            (q["key"] for q in (survey or {}).get("questions", []) if q["type"] == "recording"),
            "comment",
        )
        persist(
            get_db(),
            _spool(),
            [
                {
                    "op": "transcription",
                    "meta": meta_for(state),
                    "key": key,
                    "text": call["TranscriptionText"],
                }
            ],
        )
    return _xml(VoiceResponse())


@bp.post("/status")
@twilio_signed
def status() -> Response:
    """Twilio's call status callback: complete, partial, or not reached."""
    token = OPTIONAL_STATE_QUERY.load(request.args).get("state")
    call = TWILIO_CALL.load(request.form)
    if call["CallStatus"] in FINAL_CALL_STATUSES:
        meta: dict[str, Any] = {}
        if token:
            try:
                meta = meta_for(CallState.decode(token), call["CallSid"])
            except ValueError:
                raise APIError(400, "bad_state", "The call state is malformed.") from None
        persist(
            get_db(),
            _spool(),
            [
                {
                    "op": "close",
                    "meta": meta,
                    "call_sid": call["CallSid"],
                    "call_status": call["CallStatus"],
                }
            ],
        )
    return _xml(VoiceResponse())


@bp.errorhandler(Exception)
def _webhook_error(exc: Exception) -> Response:
    """Client errors stay JSON; anything else still gives the caller a polite goodbye."""
    response = json_error(exc)  # logs server-side failures with the request id
    if isinstance(exc, CLIENT_ERRORS):
        return response
    return _xml(twiml.goodbye(request.args.get("lang") or "en-US", "trouble"))
