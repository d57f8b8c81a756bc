"""Every index of the data model (docs/design.md), created idempotently."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from survey_core.documents import Db

INDEXES: dict[str, list[IndexModel]] = {
    "surveys": [
        IndexModel(
            [("slug", ASCENDING), ("version", DESCENDING)], unique=True, name="slug_version"
        ),
    ],
    # events: `_id` is "<channel>:<interaction>:<subject>" (survey_core.keys: fields escaped),
    # so a replay is a duplicate key.
    # The one index is the folding worker's watermark (and the reports' unfolded tail).
    "events": [IndexModel([("at", ASCENDING)], name="at")],
    # responses: `_id` is "<channel>:<interaction_id>", the unique key of docs/design.md's data
    # model, and no other index (each doubled the cost of an insert): the idle sweep's queue is
    # `live` and suppression reads `callers`, both small and read by `_id`, kept by the worker.
    # The one exception, sparse (only training evaluations have the field): a session's comments.
    "responses": [IndexModel([("session_id", ASCENDING)], name="session_id", sparse=True)],
    # rollups: `_id` is "<month>|<dim>|<value>", unique per month, dimension and value. Reads go
    # by `_id` (a "<month>|dir|<dim>" document lists each dimension's values), so the hot write
    # path keeps no second index but this sparse one, on the finest cells only.
    "rollups": [IndexModel([("cell_month", ASCENDING)], name="cell_month", sparse=True)],
    # training_sessions: `_id` is the session id; rosters are kept apart (training_rosters).
    # One evaluation per trainee per session is the submission event's key, which holds a keyed
    # hash of (session, trainee), never the trainee.
    "training_sessions": [
        IndexModel([("trainer_id", ASCENDING), ("month", ASCENDING)], name="trainer_month"),
        IndexModel([("month", ASCENDING)], name="month"),
    ],
    # invitations: `_id` is the link's opaque id (what its token carries); one per contact.
    "invitations": [IndexModel([("rid", ASCENDING)], unique=True, name="rid")],
    # Response webhooks waiting to be delivered (the worker's outbox).
    "webhook_deliveries": [
        IndexModel([("due_at", ASCENDING)], name="due_at", sparse=True),
    ],
    # Complaints: `_id` is "<source>:<external id>" (a re-post is a no-op); counters and alerts
    # are read by `_id` or by the occurrence look-up below.
    "complaints": [IndexModel([("month", ASCENDING)], name="month")],
    # Quality management: read a month at a time (calibration, the honour roll).
    "monitor_scores": [IndexModel([("month", ASCENDING)], name="month")],
    "agent_ratings": [IndexModel([("month", ASCENDING)], name="month")],
    "thanks": [IndexModel([("month", ASCENDING)], name="month")],
    "alerts": [
        IndexModel(
            [
                ("category", ASCENDING),
                ("window_minutes", ASCENDING),
                ("occurrence_start", ASCENDING),
            ],
            name="occurrence",
        ),
        IndexModel([("status", ASCENDING), ("opened_at", DESCENDING)], name="status_opened"),
    ],
    # The audit trail: paged newest first by `_id`; filtered by actor or action.
    "audit": [
        IndexModel([("actor", ASCENDING), ("_id", DESCENDING)], name="actor"),
        IndexModel([("action", ASCENDING), ("_id", DESCENDING)], name="action"),
    ],
    "api_keys": [
        IndexModel([("key_hash", ASCENDING)], unique=True, name="key_hash"),
        IndexModel([("prefix", ASCENDING)], name="prefix"),
    ],
    # Follow-ups: by `_id` (the response's), and overdue ones by due time (the API's overdue
    # list, the dashboard's count): without it each read scanned every follow-up ever opened.
    "follow_ups": [IndexModel([("due_at", ASCENDING)], name="due_at")],
    # The dashboard's sign-ins: read by `_id` (the cookie's random id); gone once expired.
    "dashboard_sessions": [
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_at"),
    ],
}


# Indexes of earlier versions, dropped on `surveyctl db init`.
OBSOLETE = {
    "responses": ("caller_hash", "live", "dirty"),
    "training_sessions": ("session_id",),
}


def ensure_indexes(db: Db) -> list[str]:
    """Create every index (a no-op for those that exist), drop obsolete ones, and create the
    folding watermark."""
    for collection, names in OBSOLETE.items():
        existing = set(db[collection].index_information())
        for name in names:
            if name in existing:
                db[collection].drop_index(name)
    created = []
    for collection, models in INDEXES.items():
        if models:
            created += db[collection].create_indexes(models)
    db.fold_state.update_one(
        {"_id": "events"}, {"$setOnInsert": {"upto": None, "checked": None, "seq": 0}}, upsert=True
    )
    return created
