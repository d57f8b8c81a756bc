"""How a call enters the survey: its starting state, sampling and suppression, or resumption."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from ivr_survey.callers import in_sample, recently_surveyed
from ivr_survey.flow import CallState
from ivr_survey.store import breaker
from survey_core.errors import DATABASE_DOWN
from survey_core.months import month_of
from survey_core.responses import OPEN
from survey_core.settings import Settings


def begin(
    survey: dict[str, Any],
    settings: Settings,
    interaction: str,
    lang: str | None,
    caller: str | None,
    agent: str | None = None,
    team: str | None = None,
    reason: str | None = None,
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
        agent=agent,
        team=team,
        reason=reason,
        caller=caller,
    )


def admission(db: Database, survey: dict[str, Any], state: CallState, call_sid: str) -> str:
    """in_progress, or why the caller is left out: not_sampled or suppressed."""
    if not in_sample(call_sid, survey["sample_rate"]):
        return "not_sampled"
    if breaker.is_open():
        return OPEN
    started = datetime.fromtimestamp(state.started, UTC)
    try:
        if recently_surveyed(db, state.caller, survey["suppress_days"], state.interaction, started):
            return "suppressed"
    except DATABASE_DOWN:
        breaker.trip()  # rather survey a caller twice than lose today's call
    return OPEN


def resumed(doc: dict[str, Any]) -> CallState:
    """The state of a call re-entering /ivr/voice (a retry, or a transfer back)."""
    return CallState(
        survey=doc["survey"],
        version=doc["version"],
        lang=doc.get("language") or "en-US",
        interaction=doc["interaction_id"],
        month=doc["month"],
        started=doc["started_at"].timestamp(),
        agent=doc.get("agent_id"),
        team=doc.get("team"),
        reason=doc.get("reason"),
        caller=doc.get("caller_hash"),
        q=doc.get("reached", 0),
        answers=dict(doc.get("answers", {})),
        skipped=list(doc.get("skipped", [])),
    )
