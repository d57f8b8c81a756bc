"""Key rotation: every sealed value stored re-sealed under the first FIELD_ENCRYPTION_KEY key.

Put the new key first (the old one after it: both open), run `surveyctl privacy rotate-key`,
then drop the old key. Each collection that may hold free text is walked in `_id` order, in
bounded batches; a document is rewritten only where a value was sealed under another key, so
a second run rewrites nothing and an interrupted run resumes where it matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from survey_core.documents import Db
from survey_core.sealing import Keyring

# Collections that hold sealed free text, and the fields that may hold it.
SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    "events": ("value", "answers", "text"),
    "responses": ("answers", "transcripts"),
    "followup_queue": ("comment",),
    "follow_ups": ("comment",),
    "monitor_scores": ("comment",),
    "webhook_deliveries": ("payload",),
}


def _batches(
    db: Db, collection: str, fields: tuple[str, ...], batch: int
) -> Iterator[list[dict[str, Any]]]:
    last: Any = None
    while True:
        query = {} if last is None else {"_id": {"$gt": last}}
        found = list(db[collection].find(query, {f: 1 for f in fields}).sort("_id", 1).limit(batch))
        if not found:
            return
        yield found
        last = found[-1]["_id"]


def total(db: Db) -> int:
    """How many documents a rotation looks at (for a progress bar)."""
    return sum(db[name].estimated_document_count() for name in SEALED_FIELDS)


def rotate(
    db: Db,
    keyring: Keyring,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Re-seal every stored value under the first key; returns documents rewritten per
    collection. `progress` is told how many documents each batch looked at."""
    rewritten: dict[str, int] = {}
    for collection, fields in SEALED_FIELDS.items():
        rewritten[collection] = 0
        for docs in _batches(db, collection, fields, batch):
            for doc in docs:
                changes = {
                    f: new
                    for f in fields
                    if f in doc and (new := keyring.reseal_all(doc[f])) != doc[f]
                }
                if changes:
                    # only if unchanged since read: a concurrent fold's write is never undone
                    unchanged = {"_id": doc["_id"], **{f: doc[f] for f in changes}}
                    done = db[collection].update_one(unchanged, {"$set": changes})
                    rewritten[collection] += done.modified_count
            if progress:
                progress(len(docs))
    return rewritten
