"""What the training survey's pages and APIs share: its survey, its links, its spool."""

from __future__ import annotations

from flask import current_app
from pymongo.database import Database

from survey_core.questionnaires.links import Link
from survey_core.training.sessions import is_closed
from survey_core.web.pages import Questionnaires
from training_survey.settings import TrainingSettings

PURPOSE = "training"


def settings() -> TrainingSettings:
    return current_app.config["SETTINGS"]


def closed(db: Database, link: Link) -> bool:
    """A session closed early takes no more evaluations."""
    return is_closed(db, link.meta.get("session_id"))


# Discreet: whoever holds a session's links must not learn from its pages who has answered.
QUESTIONNAIRES = Questionnaires(PURPOSE, closed, discreet=True)
spool = QUESTIONNAIRES.spool
link_policy = QUESTIONNAIRES.policy
