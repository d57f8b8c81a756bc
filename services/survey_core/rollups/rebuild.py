"""Recompute the rollups from the response records (aggregation pipeline); report, repair drift."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from survey_core.responses.folding import METRICS, counters
from survey_core.rollups import layout
from survey_core.rollups.writes import Deltas, directory_updates
from survey_core.storage.transactions import in_transaction

# Records grouped by everything their counters depend on: few groups, many records.
_GROUP_ID = {
    "month": "$month",
    "survey": "$survey",
    "channel": "$channel",
    "agent_id": "$agent_id",
    "team": "$team",
    "reason": "$reason",
    "status": "$status",
    "last_question_reached": "$last_question_reached",
    **{metric: f"$scores.{metric}" for metric in METRICS},
}


def expected_rollups(
    db: Database, months: list[str] | None, session: ClientSession | None = None
) -> Deltas:
    """What every rollup document should hold, computed from the records in `responses`."""
    match: dict[str, Any] = {"status": {"$ne": None}}
    if months:
        match["month"] = {"$in": months}
    expected = Deltas()
    pipeline = [{"$match": match}, {"$group": {"_id": _GROUP_ID, "n": {"$sum": 1}}}]
    for group in db.responses.aggregate(pipeline, session=session):
        key = group["_id"]
        doc = {**key, "scores": {m: key[m] for m in METRICS if key.get(m) is not None}}
        expected.add(doc, counters(doc), group["n"])
    return expected


def _fix(rid: str, meta: Mapping[str, Any], delta: dict[str, int]) -> UpdateOne:
    on_insert = {"month": meta["month"], "dim": meta["dim"], "value": meta["value"]}
    on_insert.update(meta.get("cell") or {})
    if meta["dim"] == layout.CELL:
        on_insert["cell_month"] = meta["month"]
    return UpdateOne({"_id": rid}, {"$inc": delta, "$setOnInsert": on_insert}, upsert=True)


def rebuild(db: Database, month: str | None = None, repair: bool = True) -> dict[str, Any]:
    """Compare the rollups with the records; with `repair`, make them equal. Returns drift."""
    months = [month] if month else None

    def work(s: ClientSession) -> dict[str, Any]:
        expected = expected_rollups(db, months, s)
        want_by_id = {
            layout.rollup_id(*target): (target, counters_)
            for target, counters_ in expected.nonzero().items()
        }
        query: dict[str, Any] = {"dim": {"$ne": layout.DIRECTORY}}
        if months:
            query["month"] = {"$in": months}
        stored = {doc["_id"]: doc for doc in db.rollups.find(query, session=s)}
        drift, fixes = [], []
        for rid in sorted(set(want_by_id) | set(stored)):
            target, want = want_by_id.get(rid, (None, {}))
            have = layout.counters_of(stored.get(rid, {}))
            delta = {k: want.get(k, 0) - have.get(k, 0) for k in sorted(set(want) | set(have))}
            delta = {k: v for k, v in delta.items() if v}
            if not delta:
                continue
            drift.append({"rollup": rid, "delta": delta})
            if target is not None:
                meta = {
                    "month": target[0],
                    "dim": target[1],
                    "value": target[2],
                    "cell": expected.cells.get(target),
                }
            else:
                meta = stored[rid]
            fixes.append(_fix(rid, meta, delta))
        if repair and fixes:
            seen: dict[str, dict[str, set[str]]] = {}
            for month_, dim, value in expected.nonzero():
                seen.setdefault(month_, {}).setdefault(dim, set()).add(value)
            db.rollups.bulk_write(fixes + directory_updates(seen), ordered=False, session=s)
        return {
            "documents": len(set(want_by_id) | set(stored)),
            "drift": drift,
            "repaired": bool(repair and fixes),
        }

    return in_transaction(db, work, budget_s=120.0)
