"""Running retention from the worker and `surveyctl privacy retention`: the policy from the
settings, and recordings deleted at Twilio through its REST client."""

from __future__ import annotations

import logging

from pymongo.database import Database
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from survey_core.privacy.retention import DeleteRecording, Retention, enforce
from survey_core.rollups.folding import SurveyOf
from survey_core.settings import WorkerSettings

log = logging.getLogger("voc.retention")


def policy_of(settings: WorkerSettings) -> Retention:
    return Retention(
        settings.retain_recordings_days,
        settings.retain_comments_days,
        settings.retain_events_days,
        settings.retain_contact_hashes_days,
    )


def twilio_deleter(settings: WorkerSettings) -> DeleteRecording | None:
    """Deletes a recording at Twilio (the real REST client); None without credentials."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url

    def delete(sid: str) -> None:
        try:
            client.recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:  # gone already: what we wanted
                raise

    return delete


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
