"""Recompute the rollups from the responses (an aggregation pipeline); report, repair drift."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from survey_core import rollups
from survey_core.roller import directory_updates, expected_counters, roll_up
from survey_core.transactions import in_transaction

# Settled responses grouped by everything their counters depend on: few groups, many docs.
_GROUP_ID = {
    "month": "$month",
    "survey": "$survey",
    "channel": "$channel",
    "agent_id": "$agent_id",
    "team": "$team",
    "reason": "$reason",
    "status": "$status",
    "last_question_reached": "$last_question_reached",
    "csat": "$scores.csat",
    "nps": "$scores.nps",
    "ces": "$scores.ces",
}


def flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, int]:
    """Counter fields of a rollup document as dotted names: {"csat.5": 3, ...}."""
    out: dict[str, int] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif prefix or key in rollups.METRICS:
            out[name] = int(value)
    return out


def _stored(doc: Mapping[str, Any]) -> dict[str, int]:
    counters = {k: doc[k] for k in (*rollups.METRICS, "funnel") if k in doc}
    return {k: v for k, v in flatten(counters).items() if v}


def expected_rollups(
    db: Database, months: list[str] | None, session: ClientSession | None = None
) -> dict[str, dict[str, Any]]:
    """What every rollup document should hold, computed from `responses`."""
    match: dict[str, Any] = {"status": {"$ne": "in_progress"}}
    if months:
        match["month"] = {"$in": months}
    expected: dict[str, dict[str, Any]] = {}

    def add(doc: Mapping[str, Any], counters: set[str] | list[str], n: int) -> None:
        for dim, value, cell in rollups.targets(doc):
            rid = rollups.rollup_id(doc["month"], dim, value)
            entry = expected.setdefault(
                rid,
                {
                    "month": doc["month"],
                    "dim": dim,
                    "value": value,
                    "cell": cell,
                    "counters": defaultdict(int),
                },
            )
            for counter in counters:
                entry["counters"][counter] += n

    clean = [
        {"$match": {**match, "dirty": {"$exists": False}}},
        {"$group": {"_id": _GROUP_ID, "n": {"$sum": 1}}},
    ]
    for group in db.responses.aggregate(clean, session=session):
        key = group["_id"]
        doc = {**key, "scores": {m: key.get(m) for m in rollups.METRICS if key.get(m) is not None}}
        add(doc, expected_counters(doc), group["n"])
    # Responses changed since they were counted: the rollups hold what they had then.
    for doc in db.responses.find({**match, "dirty": True}, session=session):
        add(doc, doc.get("counted") or [], 1)
    return expected


def _directories(expected: Mapping[str, Mapping[str, Any]]) -> list[UpdateOne]:
    """Make each month's directories list every value the rebuild found."""
    values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for entry in expected.values():
        values[entry["month"]][entry["dim"]].add(entry["value"])
    return directory_updates(values)


def rebuild(db: Database, month: str | None = None, repair: bool = True) -> dict[str, Any]:
    """Compare the rollups with the responses; with `repair`, make them equal. Returns drift."""
    roll_up(db)
    months = [month] if month else None

    def work(s: ClientSession) -> dict[str, Any]:
        expected = expected_rollups(db, months, s)
        query = {"month": {"$in": months}} if months else {}
        stored = {doc["_id"]: doc for doc in db.rollups.find(query, session=s)}
        drift, fixes = [], []
        for rid in sorted(set(expected) | set(stored)):
            want = {k: v for k, v in expected.get(rid, {}).get("counters", {}).items() if v}
            have = _stored(stored.get(rid, {}))
            delta = {k: want.get(k, 0) - have.get(k, 0) for k in set(want) | set(have)}
            delta = {k: v for k, v in sorted(delta.items()) if v}
            if not delta:
                continue
            drift.append({"rollup": rid, "delta": delta})
            meta = expected.get(rid) or stored[rid]
            fixes.append(
                UpdateOne(
                    {"_id": rid},
                    {
                        "$inc": delta,
                        "$setOnInsert": {
                            "month": meta["month"],
                            "dim": meta["dim"],
                            "value": meta["value"],
                            **meta.get("cell", {}),
                            **({"cell_month": meta["month"]} if meta["dim"] == "cell" else {}),
                        },
                    },
                    upsert=True,
                )
            )
        if repair and fixes:
            db.rollups.bulk_write(fixes + _directories(expected), ordered=False, session=s)
        return {
            "documents": len(set(expected) | set(stored)),
            "drift": drift,
            "repaired": bool(repair and fixes),
        }

    return in_transaction(db, work, budget_s=120.0)
