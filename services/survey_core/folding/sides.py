"""The writes beside the records a fold makes: live conversations, callers' last
participation, the follow-up queue and webhook deliveries."""

from __future__ import annotations

from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.client_session import ClientSession

from survey_core.documents import Db
from survey_core.folding.plan import Plan
from survey_core.folding.reads import EPOCH
from survey_core.storage.lookups import find_in


def write_sides(db: Db, result: Plan, s: ClientSession) -> None:
    """The small lists beside the records: live conversations, callers' last participation."""
    if result.live:
        db.live.bulk_write(
            [
                ReplaceOne({"_id": e["_id"]}, e, upsert=True)
                if len(e) > 1
                else DeleteOne({"_id": e["_id"]})
                for e in result.live
            ],
            ordered=False,
            session=s,
        )
    if result.participations:
        ids = [p["_id"] for p in result.participations]
        latest = {d["_id"]: d for d in find_in(db.callers, "_id", ids, session=s)}
        for took_part in result.participations:
            known = latest.get(took_part["_id"])
            if known is None or (took_part["started_at"] or EPOCH) > (known["started_at"] or EPOCH):
                latest[took_part["_id"]] = took_part
        writes = [ReplaceOne({"_id": h}, latest[h], upsert=True) for h in sorted(set(ids))]
        db.callers.bulk_write(writes, ordered=False, session=s)
    for collection, docs in (
        (db.followup_queue, result.unhappy),
        (db.webhook_deliveries, result.deliveries),
    ):
        if docs:  # once each, whatever re-folds: keyed by the response
            inserts = [UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in docs]
            collection.bulk_write(inserts, ordered=False, session=s)
