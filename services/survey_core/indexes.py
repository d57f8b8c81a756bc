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
        # `_id` is "<channel>:<interaction_id>": the unique key of DESIGN.md's data model, so a
        # replayed webhook or a double submit updates one document, never adds a second. Every
        # index costs on every update (SecantusDB), so there are two, both sparse.
        IndexModel([("caller_hash", ASCENDING)], name="caller_hash", sparse=True),
        # "open" while a call is on the line (the sweeper's queue); True once settled with
        # something not yet counted (the roller's queue); absent once counted.
        IndexModel([("dirty", ASCENDING)], name="dirty", sparse=True),
    ],
    # rollups: `_id` is "<month>|<dim>|<value>", unique per month, dimension and value. Reads go
    # by `_id` (a "<month>|dir|<dim>" document lists each dimension's values), so the hot write
    # path keeps no second index but this sparse one, on the finest cells only.
    "rollups": [IndexModel([("cell_month", ASCENDING)], name="cell_month", sparse=True)],
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
        if models:
            created += db[collection].create_indexes(models)
    seed_default_surveys(db)
    return created
