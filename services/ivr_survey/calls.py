"""What an IVR call learns, as events: written now, or spooled and replayed by the worker."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pymongo.database import Database

from ivr_survey.flow import CallState
from survey_core.responses import events
from survey_core.responses.dimensions import CONTACT
from survey_core.responses.events import Kind
from survey_core.responses.spool import Spool

CHANNEL = "ivr"


def meta_for(state: CallState, call_sid: str | None = None) -> dict[str, Any]:
    """The response's identity and dimensions, JSON-safe (it may wait in the spool)."""
    meta: dict[str, Any] = {
        "channel": CHANNEL,
        "interaction_id": state.interaction,
        "survey": state.survey,
        "version": state.version,
        **{d.field: state.contact.get(d.name) for d in CONTACT},
        "language": state.lang,
        "month": state.month,
        "started_at": state.started,
    }
    if call_sid and call_sid != state.interaction:
        meta["call_sid"] = call_sid  # the status callback knows the call by this id only
    return meta


def question_event(state: CallState, key: str, qtype: str, done: bool) -> dict[str, Any]:
    """The answer to (or skip of) question `key`, as `state` holds it."""
    meta = meta_for(state)
    if key in state.skipped:
        return events.event(Kind.SKIP, meta, key, reached=state.q, done=done)
    return events.event(
        Kind.ANSWER, meta, key, qtype=qtype, value=state.answers[key], reached=state.q, done=done
    )


def spool() -> Spool:
    return current_app.extensions["ivr_spool"]


def store(db: Database, evs: list[dict[str, Any]]) -> list[events.Outcome] | None:
    """Insert the call's events; None when they went to the spool (database down)."""
    return events.record(db, spool(), evs)
