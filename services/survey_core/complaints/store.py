"""Storing a complaint and evaluating its category's rules at its own minute, in one
transaction: the complaint (idempotent on source and external id), its counters, the alerts it
opens or escalates, their deliveries, and the audit record of the request that brought it.
Alerts are deduplicated by (category, window length, occurrence start); concurrent writers of
one category meet on the category's total counter, so they take turns and never open two
alerts for one occurrence.

Two round trips and the commit when no threshold is crossed: the counts (one read, which also
brings the rule set's version: the rules are cached per process and re-read only when it
changed), then one write across collections (`storage.together`: the complaint, its three
counters and the audit record); on a crossing, a look-up per crossed window and a write per
kind (`raising`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import InsertOne
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from survey_core import audit, keys
from survey_core.complaints import counters, raising, rules
from survey_core.complaints.raising import EPOCH
from survey_core.documents import Db
from survey_core.months import month_of
from survey_core.storage.together import Write, namespace, write_together
from survey_core.storage.transactions import in_transaction

RULES_ID = "current"
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")  # TIMEZONE's default


def minute_of(moment: datetime) -> int:
    """Event time in whole minutes since the epoch (truncated)."""
    return int((moment.astimezone(UTC) - EPOCH).total_seconds() // 60)


def rules_in_force(db: Db, session: ClientSession | None = None) -> list[dict[str, Any]]:
    doc = db.alert_rules.find_one({"_id": RULES_ID}, session=session)
    return list(doc["rules"]) if doc else list(rules.DEFAULT_RULES)


def replace_rules(db: Db, rule_set: list[dict[str, Any]]) -> dict[str, Any]:
    """Replace the rule set and its version (beside the counters too, where complaints see it)."""
    version = uuid.uuid4().hex
    doc = {"_id": RULES_ID, "rules": rule_set, "version": version, "updated_at": datetime.now(UTC)}

    def work(s: ClientSession) -> None:
        db.alert_rules.replace_one({"_id": RULES_ID}, doc, upsert=True, session=s)
        marker = {"$set": {"version": version}}
        db.complaint_counts.update_one({"_id": counters.RULES_MARK}, marker, upsert=True, session=s)

    in_transaction(db, work, budget_s=10.0)
    return doc


@dataclass
class RuleBook:
    """The rules in force as this process last read them, and their version (None: the seeded
    defaults or a set stored before versions). Per app (the aggregator keeps one); a complaint
    compares the version with the one stored beside the counters it reads anyway."""

    # (version, rules), replaced whole: a thread never pairs one version with other rules
    held: tuple[str | None, list[dict[str, Any]]] | None = None

    def load(
        self, db: Db, session: ClientSession | None = None
    ) -> tuple[str | None, list[dict[str, Any]]]:
        doc = db.alert_rules.find_one({"_id": RULES_ID}, session=session)
        if doc is None:
            self.held = (None, list(rules.DEFAULT_RULES))
        else:
            self.held = (doc.get("version"), list(doc["rules"]))
        return self.held


class _RulesChanged(Exception):
    """The cached rules are not the ones in force: evaluate again with the new ones."""


class _Reposted(Exception):
    """The complaint is stored already (only its own insert's duplicate key means that)."""


@dataclass
class Stored:
    complaint: dict[str, Any]
    created: bool
    alerts: list[dict[str, Any]] = field(default_factory=list)  # opened or escalated


def complaint_id(source: str, external_id: str) -> str:
    """One complaint per source and its id there (`survey_core.keys`)."""
    return keys.encode([source, external_id], ":", tail=True)


def record_complaint(
    db: Db,
    complaint: dict[str, Any],
    min_baseline: int = 10,
    urls: list[str] | None = None,
    tz: ZoneInfo = DEFAULT_ZONE,
    book: RuleBook | None = None,
    audit_record: Mapping[str, Any] | None = None,
) -> Stored:
    """Store `complaint` ({source, external_id, category, occurred_at, ...}) once and evaluate
    the rules of its category at its minute over every complaint stored so far. `book` caches
    the rules between calls (without one, they are read each time). `audit_record` is stored
    in the same transaction: a complaint is never stored without it (a re-post stores
    neither)."""
    doc_id = complaint_id(complaint["source"], complaint["external_id"])
    book = book or RuleBook()

    def work(s: ClientSession) -> Stored:
        known, in_force = book.held or book.load(db, s)
        category = rules.category_in_force(in_force, complaint.get("category") or rules.GENERAL)
        t = minute_of(complaint["occurred_at"])
        rule = next((r for r in in_force if r["category"] == category), None)
        wanted = rules.windows(rule or {}, t)
        docs, version = counters.read(db, category, wanted, s, minute=t)
        if version != known:
            book.load(db, s)
            raise _RulesChanged
        doc = {**complaint, "_id": doc_id, "category_in_force": category, "minute": t}
        doc["month"] = month_of(complaint["occurred_at"], tz)
        doc["stored_at"] = datetime.now(UTC)
        # The category's total is among the counters: concurrent writers of one category take
        # turns on it (a write conflict retries, reading the counts again).
        writes: list[Write] = [
            InsertOne(doc, namespace=namespace(db, "complaints")),
            *counters.added(docs, category, t, namespace(db, "complaint_counts")),
        ]
        if audit_record is not None:
            writes.append(InsertOne(dict(audit_record), namespace=namespace(db, audit.COLLECTION)))
        try:
            write_together(db, writes, session=s)
        except DuplicateKeyError as exc:
            if (exc.details or {}).get("index") == 0:  # the complaint's own insert
                raise _Reposted from None
            raise
        if rule is None:
            return Stored(doc, created=True)
        found = {w: counters.count(docs, category, *w) for w in set(wanted)}
        crossed = rules.crossings(rule, t, lambda a, b: found[(a, b)], min_baseline)
        now = datetime.now(UTC)
        raised = raising.raise_alerts(db, s, category, t, crossed.values(), urls or [], now)
        return Stored(doc, created=True, alerts=raised)

    try:
        for _ in range(2):
            try:
                return in_transaction(db, work, budget_s=30.0)
            except _RulesChanged:
                continue  # the book now holds the rules in force
        return in_transaction(db, work, budget_s=30.0)
    except _Reposted:  # posted before (or by a concurrent request): nothing changes
        return Stored(db.complaints.find_one({"_id": doc_id}) or {"_id": doc_id}, created=False)


def counts_of_month(db: Db, month: str, field: str) -> dict[str, int]:
    """The month's complaints counted by `field` (agent, team, category_in_force); "(none)"
    for those without one."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"month": month}},
        {"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
    ]
    return {str(d["_id"] or "(none)"): d["n"] for d in db.complaints.aggregate(pipeline)}
