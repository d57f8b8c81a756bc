"""Recompute the rollups from the response records (aggregation pipeline); report, repair drift."""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession

from survey_core.documents import Db
from survey_core.responses import dimensions
from survey_core.responses.record import METRICS, counters
from survey_core.rollups import layout
from survey_core.rollups.deltas import Deltas
from survey_core.rollups.increments import directory_updates, increments_of
from survey_core.storage.transactions import in_transaction

# Records grouped by everything their counters depend on: few groups, many records.
_GROUP_ID = {
    "month": "$month",
    **{field: f"${field}" for field in dimensions.FIELDS},
    "status": "$status",
    "last_question_reached": "$last_question_reached",
    "ratings": "$ratings",
    "low_score_reasons": "$low_score_reasons",
    **{metric: f"$scores.{metric}" for metric in METRICS},
}


def expected_rollups(
    db: Db, months: list[str] | None, session: ClientSession | None = None
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
        doc["ratings"] = key.get("ratings") or {}
        expected.add(doc, counters(doc), group["n"])
    return expected


def rebuild(db: Db, month: str | None = None, repair: bool = True) -> dict[str, Any]:
    """Compare the rollups with the records; with `repair`, make them equal. Returns drift."""
    months = [month] if month else None

    def work(s: ClientSession) -> dict[str, Any]:
        expected = expected_rollups(db, months, s)
        want = expected.nonzero()
        query: dict[str, Any] = {"dim": {"$ne": layout.DIRECTORY}}
        if months:
            query["month"] = {"$in": months}
        stored = {
            (doc["month"], doc["dim"], doc["value"]): doc
            for doc in db.rollups.find(query, session=s)
        }
        fixes = Deltas()  # the differences, written as any counts are (increments_of)
        drift = []
        for target in sorted(set(want) | set(stored), key=lambda t: layout.rollup_id(*t)):
            wanted, have = want.get(target, {}), layout.counters_of(stored.get(target, {}))
            delta = {k: wanted.get(k, 0) - have.get(k, 0) for k in sorted(set(wanted) | set(have))}
            delta = {k: v for k, v in delta.items() if v}
            if not delta:
                continue
            drift.append({"rollup": layout.rollup_id(*target), "delta": delta})
            fixes.totals[target] = delta
            if target in expected.cells:
                fixes.cells[target] = expected.cells[target]
            else:  # a document no record counts in any more: its own fields
                doc = stored[target]
                fixes.cells[target] = {d: doc[d] for d in layout.DIMENSIONS if d in doc}
        if repair and drift:
            seen: dict[str, dict[str, set[str]]] = {}
            for month_, dim, value in want:  # every value the records name is listed again
                seen.setdefault(month_, {}).setdefault(dim, set()).add(value)
            writes = increments_of(fixes) + directory_updates(seen)
            db.rollups.bulk_write(writes, ordered=False, session=s)
        return {
            "documents": len(set(want) | set(stored)),
            "drift": drift,
            "repaired": bool(repair and drift),
        }

    return in_transaction(db, work, budget_s=120.0)
