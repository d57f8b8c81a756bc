"""Every index of the data model (DESIGN.md), created idempotently."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

INDEXES: dict[str, list[IndexModel]] = {
    "surveys": [
        IndexModel(
            [("slug", ASCENDING), ("version", DESCENDING)], unique=True, name="slug_version"
        ),
    ],
    "responses": [
        # A replayed webhook or a double submit updates this document, never adds a second one.
        IndexModel(
            [("channel", ASCENDING), ("interaction_id", ASCENDING)],
            unique=True,
            name="channel_interaction",
        ),
        IndexModel([("month", ASCENDING), ("status", ASCENDING)], name="month_status"),
        # Open calls, for the sweeper that settles calls whose status callback never came.
        IndexModel([("status", ASCENDING)], name="status"),
        IndexModel([("caller_hash", ASCENDING), ("started_at", DESCENDING)], name="caller_recent"),
        IndexModel([("survey", ASCENDING), ("month", ASCENDING)], name="survey_month"),
        IndexModel([("call_sid", ASCENDING)], name="call_sid", sparse=True),
        # The roller's queue: only documents with something not yet counted carry `dirty`.
        IndexModel([("dirty", ASCENDING)], name="dirty", sparse=True),
    ],
    "rollups": [
        IndexModel(
            [("month", ASCENDING), ("dim", ASCENDING), ("value", ASCENDING)],
            unique=True,
            name="month_dim_value",
        ),
    ],
    "training_sessions": [
        IndexModel([("session_id", ASCENDING)], unique=True, name="session_id"),
        IndexModel([("trainer_id", ASCENDING), ("month", ASCENDING)], name="trainer_month"),
    ],
    "training_evaluations": [
        # One evaluation per trainee per session, without storing who the trainee is.
        IndexModel(
            [("session_id", ASCENDING), ("trainee_key", ASCENDING)],
            unique=True,
            name="session_trainee",
        ),
        IndexModel([("trainer_id", ASCENDING), ("month", ASCENDING)], name="trainer_month"),
    ],
    "survey_links": [
        IndexModel([("link_id", ASCENDING)], unique=True, name="link_id"),
    ],
    "api_keys": [
        IndexModel([("key_hash", ASCENDING)], unique=True, name="key_hash"),
        IndexModel([("prefix", ASCENDING)], name="prefix"),
    ],
}


def ensure_indexes(db: Database) -> list[str]:
    """Create every index (a no-op for those that exist) and seed the default surveys."""
    from survey_core.surveys import seed_default_surveys

    created = []
    for collection, models in INDEXES.items():
        created += db[collection].create_indexes(models)
    seed_default_surveys(db)
    return created
