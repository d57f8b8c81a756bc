"""One contact on one page: every answer under its question's text in the viewer's language,
the recording (played through the service: Twilio credentials stay on the server), the
transcript, the monitors' scores with their items, the agent's self-rating, the complaints, the
follow-up and its history, the survey version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, url_for
from flask_babel import gettext as _

from aggregator.dashboard import access
from aggregator.reports.comments import recording_of
from survey_core import sealing
from survey_core.complaints import reads as complaints
from survey_core.follow_ups import store as follow_ups
from survey_core.messaging import TwilioUnavailable, recording_audio, recording_sid
from survey_core.monitoring import store as monitoring
from survey_core.responses import reads
from survey_core.responses.events import response_id
from survey_core.sealing import Keyring
from survey_core.storage.client import get_db
from survey_core.surveys.definitions import localised
from survey_core.web.context import survey_catalog
from survey_core.web.errors import error_response
from survey_core.web.security import CSRF_FIELD, page_headers

bp = Blueprint("contacts", __name__)
FOLLOW_UP_STEPS = ("created", "contacted", "resolved")


def answers_of(
    record: Mapping[str, Any], survey: Mapping[str, Any] | None, language: str, keyring: Keyring
) -> list[dict[str, Any]]:
    """Each question of the record's survey in order (then any answer the survey does not
    name): its text in `language`, type, what was answered, shown as a page shows it."""
    answers = record.get("answers") or {}
    transcripts = record.get("transcripts") or {}
    questions = list((survey or {}).get("questions") or [])
    known = {q["key"] for q in questions}
    questions += [{"key": k, "type": None, "prompt": {}} for k in answers if k not in known]
    shown = []
    for q in questions:
        key = q["key"]
        value = keyring.shown_answer(answers.get(key))
        labels = {c["value"]: localised(c["label"], language) for c in q.get("choices") or []}
        item: dict[str, Any] = {
            "key": key,
            "type": q.get("type"),
            "text": localised(q["prompt"], language) if q.get("prompt") else key,
            "answered": key in answers,
            "skipped": key in (record.get("skipped") or []),
            "value": None,
            "recording": None,
            "transcript": None,
        }
        if isinstance(value, Mapping):
            item["recording"] = recording_of(value)  # its URL already opened
            text = keyring.shown(transcripts.get(key))
            item["transcript"] = text if isinstance(text, str) else None
        elif isinstance(value, list):
            item["value"] = ", ".join(str(labels.get(v, v)) for v in value)
        elif isinstance(value, bool):  # a consent: the caller's yes or no, in words
            item["value"] = _("yes") if value else _("no")
        elif value is not None:
            item["value"] = str(labels.get(value, value))
        shown.append(item)
    return shown


def scores_of(found: list[dict[str, Any]], keyring: Keyring) -> list[dict[str, Any]]:
    """Monitor scores as shown: the comment opened (None where no key opens it)."""
    return [{**s, "comment": keyring.shown(s.get("comment"))} for s in found]


def history_of(follow_up: Mapping[str, Any] | None, keyring: Keyring) -> dict[str, Any] | None:
    """A follow-up with its free text opened and its steps in order, each with when and who."""
    if follow_up is None:
        return None
    steps = [
        {"step": step, "at": follow_up.get(f"{step}_at"), "by": follow_up.get(f"{step}_by")}
        for step in FOLLOW_UP_STEPS
        if follow_up.get(f"{step}_at") is not None
    ]
    texts = {k: keyring.shown(follow_up.get(k)) for k in ("comment", "root_cause", "action_taken")}
    return {**follow_up, **texts, "steps": steps}


@bp.get("/dashboard/contacts/<channel>/<path:interaction>")
def contact_page(channel: str, interaction: str) -> Any:
    """Everything known about one contact (signed in), else the sign-in page."""
    language = access.language()
    if access.signed_in() is None:
        return redirect(url_for("dashboard.sign_in_page", lang=language))
    db, keyring, rid = get_db(), sealing.current(), response_id(channel, interaction)
    record = reads.contact(db, rid)
    scores = monitoring.of_contact(db, "monitor_scores", rid)
    ratings = monitoring.of_contact(db, "agent_ratings", rid)
    filed = complaints.of_contact(db, rid, channel, interaction)
    follow_up = follow_ups.of_contact(db, rid)
    survey = None
    if record and record.get("survey") and isinstance(record.get("version"), int):
        survey = survey_catalog().version(db, record["survey"], record["version"])
    found = bool(record or scores or ratings or filed or follow_up)
    agent = (record or {}).get("agent_id") or next(
        (d.get("agent") for d in (*scores, *ratings, *filed) if d.get("agent")), None
    )
    html = render_template(
        "contact.html",
        language=language,
        month=None,
        csrf_field=CSRF_FIELD,
        csrf_token=access.form_token(),
        channel=channel,
        interaction=interaction,
        found=found,
        record=record,
        agent=agent,
        survey=survey,
        answers=answers_of(record, survey, language, keyring) if record else [],
        scores=scores_of(scores, keyring),
        rating=ratings[0] if ratings else None,
        complaints=filed,
        follow_up=history_of(follow_up, keyring),
    )
    return Response(html, status=200 if found else 404, mimetype="text/html")


@bp.get("/dashboard/recordings/<channel>/<key>/<path:interaction>")
def recording(channel: str, key: str, interaction: str) -> Response:
    """A recorded answer's audio, fetched from Twilio by its SID with the account's credentials
    (signed in; never a redirect to Twilio, so the browser never sees where or how)."""
    if access.signed_in() is None:
        return error_response(401, "unauthorized", "Sign in to the dashboard first.")
    record = reads.contact(get_db(), response_id(channel, interaction))
    value = sealing.current().shown_answer(((record or {}).get("answers") or {}).get(key))
    sid = recording_sid(value) if isinstance(value, Mapping) else None
    if sid is None:
        return error_response(404, "not_found", "This contact has no such recording.")
    settings = current_app.config["SETTINGS"]
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return error_response(
            503, "recording_unavailable", "Recordings cannot be played: Twilio is not configured."
        )
    try:
        audio = recording_audio(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url,
            sid,
        )
    except LookupError:
        return error_response(404, "not_found", "Twilio no longer has this recording.")
    except TwilioUnavailable:
        return error_response(502, "twilio_unavailable", "Twilio could not send the recording.")
    response = Response(audio, mimetype="audio/mpeg")
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.after_request
def _headers(response: Response) -> Response:
    """The dashboard's headers; the page may play audio from this service."""
    response = page_headers(response, "'none'")
    response.headers["Content-Security-Policy"] += "; media-src 'self'"
    return response
