"""How a call enters the survey: its starting state, or where a re-entering call stands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from ivr_survey.calls import CHANNEL
from ivr_survey.flow import CallState
from survey_core import sealing
from survey_core.months import month_of
from survey_core.responses import events, record
from survey_core.responses.dimensions import CONTACT
from survey_core.settings import Settings


def begin(
    survey: dict[str, Any],
    settings: Settings,
    interaction: str,
    lang: str | None,
    caller: str | None,
    contact: Mapping[str, str | None] | None = None,
) -> CallState:
    """The state of a call about to be asked `survey`'s first question."""
    now = datetime.now(UTC)
    return CallState(
        survey=survey["slug"],
        version=survey["version"],
        lang=lang if lang in survey["languages"] else survey["default_language"],
        interaction=interaction,
        month=month_of(now, settings.tz),
        started=now.timestamp(),
        contact={name: value for name, value in (contact or {}).items() if value},
        caller=caller,
    )


def where_it_stands(
    db: Database, survey: dict[str, Any], interaction: str
) -> tuple[dict[str, Any], CallState] | None:
    """The call's record folded from its stored events (the worker may not have yet), and the
    state to carry on from; None if the call never opened."""
    rid = events.response_id(CHANNEL, interaction)
    subjects = ["open"] + [f"q:{q['key']}" for q in survey["questions"]]
    stored = events.of_response(db, rid, subjects)
    if not any(ev["kind"] == events.Kind.OPEN for ev in stored):
        return None
    doc = record.settle(record.fold(record.blank(rid), stored), survey)
    state = CallState(
        survey=doc["survey"],
        version=doc["version"],
        lang=doc.get("language") or survey["default_language"],
        interaction=interaction,
        month=doc["month"],
        started=doc["started_at"].timestamp(),
        contact={d.name: doc[d.field] for d in CONTACT if doc.get(d.field)},
        caller=doc.get("caller_hash"),
        q=doc["reached"],
        answers=sealing.current().shown_answers(doc["answers"]),  # the call state carries clear
        skipped=list(doc["skipped"]),
    )
    return doc, state
