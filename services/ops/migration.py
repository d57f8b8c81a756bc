"""`surveyctl db migrate`: rewrite keys of the old joined form and make the rollups current.

Keys used to join their fields with a separator the fields may contain; they are now
`survey_core.keys` tuples. A key of data without separators (or `%`) is the same in both forms,
so only documents whose key differs are rewritten (a copy under the new `_id`, then the old one
removed). The rollups are then rebuilt from the records (exact: customer documents without
training, cells under their new values), documents left without any count are removed and the
dimension directories list only values that still have one; training sessions stored without
their evaluation window get it from their links. Every step is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aggregator.quality.monitoring import monitor_score_id, thanks_id
from survey_core.complaints import counters
from survey_core.complaints.store import complaint_id
from survey_core.responses.events import Kind, event_id, response_id, subject_of
from survey_core.rollups import layout
from survey_core.rollups.rebuild import rebuild
from survey_core.storage.lookups import chunks, delete_in
from survey_core.storage.transactions import in_transaction

Say = Callable[[str], None]
# Only these can hold an old key: a field before the last one with a separator or `%` in it.
_ODD = {"$regex": "[:|%]"}


def _event_key(ev: Mapping[str, Any]) -> dict[str, str] | None:
    meta = ev.get("meta") or {}
    if "channel" not in meta or "interaction_id" not in meta:
        return None
    rid = response_id(meta["channel"], meta["interaction_id"])
    return {"_id": event_id(rid, subject_of(Kind(ev["kind"]), ev.get("key"))), "rid": rid}


def _rid_key(doc: Mapping[str, Any]) -> dict[str, str]:
    return {"_id": response_id(doc["channel"], doc["interaction_id"])}


def _monitor_key(doc: Mapping[str, Any]) -> dict[str, str]:
    rid = response_id(doc["channel"], doc["interaction_id"])
    return {"_id": monitor_score_id(doc["monitor_id"], rid), "rid": rid}


def _thanks_key(doc: Mapping[str, Any]) -> dict[str, str]:
    return {"_id": thanks_id(doc["source"], doc["source_id"])}


def _complaint_key(doc: Mapping[str, Any]) -> dict[str, str]:
    return {"_id": complaint_id(doc["source"], doc["external_id"])}


# collection: (the documents that may hold an old key, their key fields as they should be)
REKEYED: dict[str, tuple[dict[str, Any], Callable[[Mapping[str, Any]], Any]]] = {
    "events": (
        {"$or": [{"meta.channel": _ODD}, {"meta.interaction_id": _ODD}]},
        _event_key,
    ),
    "agent_ratings": ({"channel": _ODD}, _rid_key),
    "monitor_scores": ({"$or": [{"monitor_id": _ODD}, {"channel": _ODD}]}, _monitor_key),
    "thanks": ({"source": _ODD}, _thanks_key),
    "complaints": ({"source": _ODD}, _complaint_key),
}


def rekey(db: Database, collection: str, say: Say) -> int:
    """Rewrite the documents of `collection` whose key is of the old form; returns how many."""
    query, key_of = REKEYED[collection]
    moved = 0
    for doc in db[collection].find(query):
        wanted = key_of(doc)
        if wanted is None or all(doc.get(k) == v for k, v in wanted.items()):
            continue
        try:
            db[collection].insert_one({**doc, **wanted})
        except DuplicateKeyError:  # a run interrupted after the copy: it is there
            pass
        db[collection].delete_one({"_id": doc["_id"]})
        moved += 1
        if moved % 1000 == 0:
            say(f"  {collection}: {moved} rewritten")
    return moved


def prune_rollups(db: Database) -> dict[str, int]:
    """Remove rollup documents that count nothing, and directory values left without one."""

    def work(s: ClientSession) -> dict[str, int]:
        empty, kept, directories = [], set(), []
        for doc in db.rollups.find({}, session=s):
            if doc["dim"] == layout.DIRECTORY:
                directories.append(doc)
            elif layout.counters_of(doc):
                kept.add((doc["month"], doc["dim"], doc["value"]))
            else:
                empty.append(doc["_id"])
        delete_in(db.rollups, "_id", empty, session=s)
        dropped = 0
        for directory in directories:
            month, dim = directory["month"], directory["value"]
            values = directory.get("values") or []
            live = [v for v in values if (month, dim, v) in kept]
            if live != values:
                dropped += len(values) - len(live)
                db.rollups.update_one(
                    {"_id": directory["_id"]}, {"$set": {"values": live}}, session=s
                )
        return {"documents": len(empty), "directory_values": dropped}

    return in_transaction(db, work, budget_s=120.0)


def training_windows(db: Database) -> int:
    """Sessions stored before a session kept its evaluation window get one: the last expiry
    of their links (their creation if they have none), so that the release rule closes them
    when their links expire. Returns how many were given one."""
    missing = list(
        db.training_sessions.find({"links_expire_at": {"$exists": False}}, {"created_at": 1})
    )
    if not missing:
        return 0
    last: dict[str, Any] = {}
    for batch in chunks(s["_id"] for s in missing):
        pipeline: list[dict[str, Any]] = [
            {"$match": {"meta.session_id": {"$in": batch}}},
            {"$group": {"_id": "$meta.session_id", "last": {"$max": "$expires_at"}}},
        ]
        last.update({d["_id"]: d["last"] for d in db.invitations.aggregate(pipeline)})
    for session in missing:
        db.training_sessions.update_one(
            {"_id": session["_id"], "links_expire_at": {"$exists": False}},
            {"$set": {"links_expire_at": last.get(session["_id"], session.get("created_at"))}},
        )
    return len(missing)


def migrate(db: Database, say: Say = lambda _: None) -> dict[str, Any]:
    """Every step, in order; a second run finds nothing to do."""
    report: dict[str, Any] = {"rekeyed": {}}
    for collection in REKEYED:
        say(f"keys: {collection}...")
        report["rekeyed"][collection] = rekey(db, collection, say)
    say("complaint counters: rebuilding from the complaints...")
    report["complaint_counters"] = counters.rebuild(db)
    say("rollups: rebuilding from the records...")
    rebuilt = rebuild(db, None, repair=True)
    report["rollups_repaired"] = len(rebuilt["drift"])
    say(f"rollups: {len(rebuilt['drift'])} document(s) repaired; removing empty ones...")
    report["rollups_pruned"] = prune_rollups(db)
    say("training sessions: giving each its evaluation window...")
    report["training_windows"] = training_windows(db)
    return report


def summary(report: Mapping[str, Any]) -> Iterable[str]:
    """The lines `surveyctl db migrate` prints."""
    for collection, n in report["rekeyed"].items():
        yield f"{collection}: {n} key(s) rewritten"
    yield f"complaint counters: {report['complaint_counters']} document(s), from the complaints"
    yield f"rollups: {report['rollups_repaired']} document(s) repaired"
    pruned = report["rollups_pruned"]
    yield (
        f"rollups: {pruned['documents']} empty document(s) removed, "
        f"{pruned['directory_values']} directory value(s) dropped"
    )
    yield f"training sessions: {report['training_windows']} given their evaluation window"
