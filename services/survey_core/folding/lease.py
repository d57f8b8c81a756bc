"""The folding lease: one worker folds at a time, another takes over when it stops."""

from __future__ import annotations

import time

from pymongo.errors import DuplicateKeyError

from survey_core.documents import Db


def hold_lease(db: Db, owner: str, seconds: float, now: float | None = None) -> bool:
    """Take or renew the folding lease for `owner`; False while another owner holds it.

    Any number of workers fold correctly (the transactions see to that), but they fold the
    same batches and all but one start over: the lease lets one fold while the others wait,
    ready to take over within `seconds` if it stops.
    """
    now = time.time() if now is None else now
    try:
        result = db.locks.update_one(
            {"_id": "fold", "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
            {"$set": {"owner": owner, "until": now + seconds}},
            upsert=True,
        )
    except DuplicateKeyError:  # held by someone else: the upsert's insert collided
        return False
    return bool(result.matched_count or result.upserted_id)
