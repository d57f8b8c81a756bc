"""Database set-up: every index, the folding watermark, and the services' default surveys."""

from __future__ import annotations

from pymongo.database import Database

from ivr_survey.default_survey import POST_CALL
from survey_core.storage.indexes import ensure_indexes
from survey_core.surveys.definitions import as_stored, get_survey, publish_survey, seed_surveys
from survey_core.surveys.schema import REASON, unconsented
from training_survey.default_survey import TRAINING_EVALUATION
from web_survey.default_survey import POST_CONTACT

DEFAULT_SURVEYS = (POST_CALL, POST_CONTACT, TRAINING_EVALUATION)


def init_database(db: Database) -> list[str]:
    """Create what is missing (idempotent); returns the index names."""
    names = ensure_indexes(db)
    seed_surveys(db, DEFAULT_SURVEYS)
    ask_consent(db, DEFAULT_SURVEYS)
    ask_low_score_reason(db, DEFAULT_SURVEYS)
    return names


def ask_consent(db: Database, definitions: tuple[dict, ...]) -> list[str]:
    """Publish each default survey whose latest stored version records a comment without
    asking consent first (stored before consent was asked) as its next version; returns their
    slugs. Calls already on the old version finish on it (its recording is never asked)."""
    upgraded = []
    for definition in definitions:
        latest = get_survey(db, definition["slug"])
        if latest is not None and unconsented(latest["questions"]):
            publish_survey(db, definition)
            upgraded.append(definition["slug"])
    return upgraded


def ask_low_score_reason(db: Database, definitions: tuple[dict, ...]) -> list[str]:
    """Publish each default survey that asks a low-score reason as the next version of its
    stored survey when that is the earlier default unedited (the same questions without the
    reason); returns their slugs. An edited survey is left as its owners made it."""
    upgraded = []
    for definition in definitions:
        if not any(q["type"] == REASON for q in definition["questions"]):
            continue
        latest = get_survey(db, definition["slug"])
        if latest is None or any(q["type"] == REASON for q in latest["questions"]):
            continue
        without = [q for q in definition["questions"] if q["type"] != REASON]
        if latest["questions"] == as_stored({**definition, "questions": without})["questions"]:
            publish_survey(db, definition)
            upgraded.append(definition["slug"])
    return upgraded
