"""What the training survey's pages and APIs share: its survey, its links, its spool."""

from __future__ import annotations

from flask import current_app
from pymongo.database import Database

from survey_core.questionnaires.links import Link
from survey_core.training.closed import ClosedSessions
from survey_core.web.pages import Questionnaires
from training_survey.settings import TrainingSettings

PURPOSE = "training"
CLOSED = "voc.closed_sessions"  # app.extensions: this process's ClosedSessions


def settings() -> TrainingSettings:
    return current_app.config["SETTINGS"]


def closed_sessions() -> ClosedSessions:
    found: ClosedSessions = current_app.extensions[CLOSED]
    return found


def closed(db: Database, link: Link) -> bool:
    """A session closed early takes no more evaluations (its state read at most every
    CLOSED_SESSIONS_TTL seconds per process, not per request)."""
    return closed_sessions().is_closed(db, link.meta.get("session_id"))


# Discreet: whoever holds a session's links must not learn from its pages who has answered.
QUESTIONNAIRES = Questionnaires(PURPOSE, closed, discreet=True)
spool = QUESTIONNAIRES.spool
link_policy = QUESTIONNAIRES.policy
