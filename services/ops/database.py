"""Database set-up: every index, the folding watermark, and the services' default surveys."""

from __future__ import annotations

from pymongo.database import Database

from ivr_survey.default_survey import POST_CALL
from survey_core.storage.indexes import ensure_indexes
from survey_core.surveys.definitions import seed_surveys
from training_survey.default_survey import TRAINING_EVALUATION
from web_survey.default_survey import POST_CONTACT

DEFAULT_SURVEYS = (POST_CALL, POST_CONTACT, TRAINING_EVALUATION)


def init_database(db: Database) -> list[str]:
    """Create what is missing (idempotent); returns the index names."""
    names = ensure_indexes(db)
    seed_surveys(db, DEFAULT_SURVEYS)
    return names
