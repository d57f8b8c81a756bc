"""Who is looking at the dashboard and what they may do: read keys look, write and admin keys
act (every form CSRF-protected, bound to the session); the language and month asked for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, request, session

from survey_core.fields import YEARS
from survey_core.months import MONTH_RE, month_of
from survey_core.storage.client import get_db
from survey_core.surveys.schema import LANGUAGES
from survey_core.web import browser_sessions
from survey_core.web.auth import grants
from survey_core.web.security import csrf_ok, csrf_token

FORM_MAX_AGE = 12 * 3600  # a form lives as long as a session may


def may_look(record: dict[str, Any] | None) -> bool:
    """A key that may sign in: one that reads reports, or one that acts on them."""
    return grants(record, "read") or grants(record, "write")


def may_act(record: dict[str, Any] | None) -> bool:
    """A key that may acknowledge alerts and work follow-ups (write or admin)."""
    return grants(record, "write")


def signed_in() -> dict[str, Any] | None:
    """The key of this browser's live session, if it may look."""
    record = browser_sessions.key_of(get_db(), session.get("sid"))
    return record if may_look(record) else None


def language() -> str:
    """The language asked for (remembered in the session), zh-CN by default."""
    remembered = session.get("lang")
    asked_for = request.values.get("lang") or (remembered if isinstance(remembered, str) else "")
    chosen = asked_for if asked_for in LANGUAGES else "zh-CN"
    session["lang"] = chosen
    g.language = chosen
    return chosen


def chosen_month() -> str:
    """The month asked for (YYYY-MM, in the years our records can hold: `fields.YEARS`), else
    this month in the contact centre's time zone (a page counts months back from it)."""
    asked_for = request.values.get("month", "")
    found = MONTH_RE.match(asked_for) if isinstance(asked_for, str) else None
    if found and int(found.group(1)) in YEARS:
        return asked_for
    return month_of(datetime.now(UTC), current_app.config["SETTINGS"].tz)


def form_token() -> str:
    """The CSRF token of this session's forms."""
    return csrf_token(current_app.config["SETTINGS"].secret_key, session["sid"])


def form_ok() -> bool:
    """Did this POST come from one of this session's own forms?"""
    settings = current_app.config["SETTINGS"]
    bound = browser_sessions.session_id_of(session.get("sid"))
    return bound is not None and csrf_ok(
        settings.secret_key, bound, request, FORM_MAX_AGE, settings.public_base_url
    )
