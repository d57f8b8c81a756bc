"""Twilio Voice webhooks: every answer is TwiML, every request signed by Twilio."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from marshmallow import ValidationError
from pymongo.database import Database
from twilio.twiml.voice_response import VoiceResponse

from ivr_survey import twiml
from ivr_survey.calls import CHANNEL, meta_for, question_event, store
from ivr_survey.default_survey import DEFAULT_IVR_SURVEY
from ivr_survey.entry import begin, where_it_stands
from ivr_survey.flow import CallState, Step, advance, consented, recorded, unconsented_skip
from ivr_survey.logic import past_hidden
from ivr_survey.schemas import StateQuerySchema, TwilioCallSchema, VoiceQuerySchema
from ivr_survey.signature import twilio_signed
from survey_core.responses import events
from survey_core.responses.admission import admission
from survey_core.responses.dimensions import CONTACT
from survey_core.responses.events import Kind
from survey_core.responses.hashing import caller_hash
from survey_core.statuses import Status
from survey_core.storage.client import get_db
from survey_core.surveys.definitions import channels_of, localised
from survey_core.surveys.schema import CONSENT, LANGUAGES, REASON, RECORDING
from survey_core.web.context import survey_catalog
from survey_core.web.errors import CLIENT_ERRORS, json_error

log = logging.getLogger("voc.ivr")
# Schema instances are reusable and thread-safe for load; building one costs per request.
STATE_QUERY = StateQuerySchema()
VOICE_QUERY = VoiceQuerySchema()
TWILIO_CALL = TwilioCallSchema()
OPTIONAL_STATE_QUERY = StateQuerySchema(partial=("state",))
bp = Blueprint("ivr", __name__, url_prefix="/ivr")
FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


# What Twilio gets when there is nothing to say (built once: rendering it costs ~60 us).
EMPTY_TWIML_BODY = str(VoiceResponse())


def _empty() -> Response:
    return Response(EMPTY_TWIML_BODY, mimetype="text/xml")


def _db() -> Database:
    """The database, even while the breaker is open: the call goes on without it."""
    return get_db(fail_fast=False)


def _xml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


class StateRefused(Exception):
    """A call state that does not decode or holds a value out of its bounds."""


def _decoded(token: str) -> CallState:
    try:
        return CallState.decode(token)
    except ValueError:
        raise StateRefused from None


def _state() -> CallState:
    return _decoded(STATE_QUERY.load(request.args)["state"])


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
    """Append question `state.q` (or the thanks when past the end) and render. A recording the
    caller did not say yes to right before (a definition stored before consent was asked) is
    skipped, never asked: without a yes there is no <Record>. A question whose display
    condition does not hold is passed by, neither asked nor stored."""
    state = past_hidden(survey, state)
    while (step := unconsented_skip(survey, state)) is not None:
        state = _save(survey, state, step)
    if state.q >= len(survey["questions"]):
        return _xml(twiml.thanks(response, survey, state.lang))
    return _xml(twiml.question(response, survey, state.q, state.lang, **_urls(state)))


def _qtype(survey: dict[str, Any], key: str) -> str:
    return next(q["type"] for q in survey["questions"] if q["key"] == key)


def _save(survey: dict[str, Any], before: CallState, step: Step) -> CallState:
    """Store what this step decided plus anything an outage held back; carry the rest along."""
    after = step.state
    keys = list(before.pending)
    if step.kind in ("answer", "skip"):
        keys += [step.key, *step.also_skipped]
    if not keys:
        return after
    evs = [question_event(after, key, _qtype(survey, key), done=step.done) for key in keys]
    written = store(_db(), evs)
    return replace(after, pending=[] if written is not None else sorted(set(keys)))


@bp.post("/voice")
@twilio_signed
def voice() -> Response:
    """A call enters the survey: sampling, suppression, greeting and the first question."""
    query = _voice_query()
    call = TWILIO_CALL.load(request.form)
    settings = current_app.config["SETTINGS"]
    db = _db()
    survey = survey_catalog().latest(db, query["survey"] or DEFAULT_IVR_SURVEY)
    if survey is None or CHANNEL not in channels_of(survey):
        log.error("no IVR survey %r (the voice URL's)", query["survey"])
        return _xml(twiml.goodbye(query["lang"] or "en-US", "trouble"))
    outbound = call["Direction"].startswith("outbound")
    caller = caller_hash(call["To"] if outbound else call["From"], settings.phone_hash_key)
    state = begin(
        survey,
        settings,
        query["interaction"] or call["CallSid"],
        query["lang"],
        caller,
        {d.name: query[d.name] for d in CONTACT},
    )
    started = datetime.fromtimestamp(state.started, UTC)
    status = admission(db, survey, call["CallSid"], caller, state.interaction, started)
    meta = {**meta_for(state, call["CallSid"]), "caller_hash": caller}
    if store(db, [events.event(Kind.OPEN, meta, status=status)]) == ["duplicate"]:
        return _resume(survey, state.interaction)  # a retry, or the call re-entering
    if status is not Status.IN_PROGRESS:
        return _xml(twiml.goodbye(state.lang))
    response = VoiceResponse()
    response.say(localised(survey["greeting"], state.lang), language=state.lang)
    return _ask(response, survey, state)


def _resume(latest: dict[str, Any], interaction: str) -> Response:
    """Carry on where the call stands (or say goodbye if its survey is over)."""
    db = _db()
    found = where_it_stands(db, latest, interaction)
    if found is not None and found[1].version != latest["version"]:
        survey = survey_catalog().version(db, found[1].survey, found[1].version)
        found = where_it_stands(db, survey, interaction) if survey else None
    else:
        survey = latest
    if found is None or survey is None:
        return _xml(twiml.goodbye(latest["default_language"], "trouble"))
    doc, state = found
    if doc["status"] != Status.IN_PROGRESS:
        return _xml(twiml.goodbye(state.lang))
    response = VoiceResponse()
    if state.q == 0:
        response.say(localised(survey["greeting"], state.lang), language=state.lang)
    return _ask(response, survey, state)


def _in_call() -> tuple[CallState, dict[str, Any], dict[str, Any] | None]:
    """The call's state, Twilio's form, and the survey (None once the call is past its end)."""
    state = _state()
    call = TWILIO_CALL.load(request.form)
    survey = _survey_of(state)
    if survey is None or state.q >= len(survey["questions"]):
        return state, call, None
    return state, call, survey


def _survey_of(state: CallState) -> dict[str, Any] | None:
    """The survey version the call is asked, if it exists; a state naming questions that it
    does not ask is refused."""
    survey = survey_catalog().version(_db(), state.survey, state.version)
    asked = {q["key"]: q["type"] for q in (survey or {}).get("questions", [])}
    if survey and not asked.keys() >= {*state.answers, *state.skipped, *state.pending}:
        raise StateRefused
    # A consent is true or false and nothing else is: a yes is never a score of 1.
    if any((asked.get(k) == CONSENT) != isinstance(v, bool) for k, v in state.answers.items()):
        raise StateRefused
    # A reason is one of its options, by value.
    options = {
        q["key"]: [c["value"] for c in q["choices"]]
        for q in (survey or {}).get("questions", [])
        if q["type"] == REASON
    }
    if any(k in options and v not in options[k] for k, v in state.answers.items()):
        raise StateRefused
    return survey


@bp.post("/answer")
@twilio_signed
def answer() -> Response:
    """The caller pressed keys (or nothing) for the current question."""
    state, call, survey = _in_call()
    if survey is None:
        return _xml(twiml.goodbye(state.lang, "trouble"))
    step = advance(survey, state, call["Digits"])
    after = _save(survey, state, step)
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
    return _ask(VoiceResponse(), survey, _save(survey, state, step))


@bp.post("/transcription")
@twilio_signed
def transcription() -> Response:
    """Twilio's transcription of a spoken comment, when it has one."""
    state = _state()
    call = TWILIO_CALL.load(request.form)
    if call["TranscriptionStatus"] == "completed" and call["TranscriptionText"]:
        survey = _survey_of(state)
        questions = (survey or {}).get("questions", [])
        # Sent for the <Record> of question `state.q`, which was asked after a yes only.
        if not (state.q < len(questions) and questions[state.q]["type"] == RECORDING):
            return _empty()
        if not consented(survey or {}, state):
            return _empty()
        key = questions[state.q]["key"]
        text = call["TranscriptionText"]
        store(_db(), [events.event(Kind.TRANSCRIPT, meta_for(state), key, text=text)])
    return _empty()


@bp.post("/status")
@twilio_signed
def status() -> Response:
    """Twilio's call status callback: the call ended (answered, or never reached)."""
    token = OPTIONAL_STATE_QUERY.load(request.args).get("state")
    call = TWILIO_CALL.load(request.form)
    if call["CallStatus"] in FINAL_CALL_STATUSES:
        # A call-back's URL carries its state; an inbound call is known by its CallSid (the
        # worker joins it to the contact the call was about).
        meta: dict[str, Any] = {"channel": CHANNEL, "interaction_id": call["CallSid"]}
        if token:
            meta = meta_for(_decoded(token), call["CallSid"])
        close = events.event(Kind.CLOSE, meta, end_reason=call["CallStatus"])
        store(_db(), [close])
    return _empty()


def _voice_query() -> dict[str, Any]:
    """The voice URL's query (set by whoever routes the call to us). A caller must never hear
    "an application error": a value it cannot take (a line break in `agent`, an unknown
    `lang`) is left out, logged as a warning naming the parameter, and the call goes on."""
    try:
        return dict(VOICE_QUERY.load(request.args))
    except ValidationError as exc:
        refused = sorted(exc.messages) if isinstance(exc.messages, dict) else []
        log.warning("the voice URL's %s refused; the call goes on without", ", ".join(refused))
        kept = {k: v for k, v in request.args.items() if k not in refused}
        return dict(VOICE_QUERY.load(kept))


@bp.errorhandler(Exception)
def _webhook_error(exc: Exception) -> Response:
    """Client errors stay JSON; anything else still gives the caller a polite goodbye. A
    state out of its bounds (signed, so sent by Twilio with a URL we gave it, or forged with
    the auth token) is the caller's goodbye too, logged as a warning: nothing was stored."""
    if isinstance(exc, StateRefused):
        log.warning("a call state out of its bounds: the call is ended politely")
        return _xml(twiml.goodbye(_asked_language(), "trouble"))
    response = json_error(exc)  # logs server-side failures with the request id
    if isinstance(exc, CLIENT_ERRORS):
        return response
    return _xml(twiml.goodbye(_asked_language(), "trouble"))


def _asked_language() -> str:
    """The URL's `lang` if it is one of ours (it is written into the TwiML), else en-US."""
    asked_for = request.args.get("lang")
    return asked_for if asked_for in LANGUAGES else "en-US"
