"""Running retention from the worker and `surveyctl privacy retention`: the policy from the
settings, and recordings deleted at Twilio through its REST client."""

from __future__ import annotations

import logging
from typing import Any

from pymongo.database import Database

from survey_core import sealing
from survey_core.messaging import recording_deleter
from survey_core.privacy.retention import DeleteRecording, Retention, enforce
from survey_core.settings import WorkerSettings
from survey_core.surveys.catalog import SurveyOf

log = logging.getLogger("voc.retention")


def policy_of(settings: WorkerSettings) -> Retention:
    return Retention(
        settings.retain_recordings_days,
        settings.retain_comments_days,
        settings.retain_events_days,
        settings.retain_contact_hashes_days,
        sealing.of(settings),
    )


def twilio_deleter(settings: Any) -> DeleteRecording | None:
    """Deletes a recording at Twilio (the real REST client); None without credentials."""
    return recording_deleter(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )


def run(
    db: Database, settings: WorkerSettings, survey_of: SurveyOf, dry_run: bool = False
) -> dict[str, int]:
    """One bounded pass; says what it removed (or would)."""
    delete = twilio_deleter(settings)
    done = enforce(db, policy_of(settings), survey_of, delete, dry_run=dry_run)
    if delete is None:
        log.warning("retention: no TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN: recordings are kept")
    if any(done.values()):
        verb = "would remove" if dry_run else "removed"
        log.info("retention %s %s", verb, ", ".join(f"{n} {k}" for k, n in done.items()))
    return done
