"""Follow-ups of unhappy responses: opened by the worker from its queue (with the response's
complaint), assigned and moved by the team lead through open -> contacted -> resolved, and
reopened (resolved -> open)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from survey_core.complaints.store import record_complaint
from survey_core.documents import Db
from survey_core.responses import dimensions
from survey_core.settings import ComplaintSettings

STEPS = ("open", "contacted", "resolved")
LOW_SCORE_PREFIX = "low_score:"  # REASON_CATEGORIES keys of customers' low-score reasons
# Where a follow-up in each status may be moved (the same status again records a new note):
# forward only, except that a resolved one may be reopened.
MOVES = {
    "open": {"contacted", "resolved"},
    "contacted": {"contacted", "resolved"},
    "resolved": {"resolved", "open"},
}


class BadStep(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.errors = {field: [message]}


def drain_queue(db: Db, settings: ComplaintSettings, limit: int = 200) -> int:
    """Open a follow-up and record a complaint for each queued unhappy response (both keyed by
    the response: a crash half-way repeats nothing); returns how many were handled."""
    handled = 0
    for entry in db.followup_queue.find().limit(limit):
        ended = entry.get("submitted_at") or entry.get("started_at") or datetime.now(UTC)
        if ended.tzinfo is None:
            ended = ended.replace(tzinfo=UTC)
        follow_up = {
            "interaction": entry.get("interaction_id"),
            **{name: entry.get(field) for name, field in dimensions.CUSTOMER.items()},
            "scores": entry.get("scores") or {},
            "low_score_reasons": entry.get("low_score_reasons") or {},
            "comment": entry.get("comment"),
            "month": entry.get("month"),
            "status": "open",
            "created_at": datetime.now(UTC),
            "due_at": ended + timedelta(hours=settings.follow_up_sla_hours),
        }
        db.follow_ups.update_one({"_id": entry["_id"]}, {"$setOnInsert": follow_up}, upsert=True)
        complaint = {
            "source": "survey",
            "external_id": entry["_id"],
            "category": complaint_category(entry, settings.reason_categories),
            "occurred_at": ended,
            **{
                k: v
                for k, v in {
                    "interaction_id": entry.get("interaction_id"),
                    "channel": entry.get("channel"),
                    "agent": entry.get("agent_id"),
                    "team": entry.get("team"),
                }.items()
                if v
            },
        }
        record_complaint(
            db,
            complaint,
            settings.growth_min_baseline,
            settings.alert_receivers,
            settings.tz,
        )
        db.followup_queue.delete_one({"_id": entry["_id"]})
        handled += 1
    return handled


def complaint_category(entry: dict[str, Any], categories: dict[str, str]) -> str:
    """The category `REASON_CATEGORIES` maps the customer's low-score reason to (a key
    `low_score:<reason>`; the first mapped, in order of its values), else the contact's own
    reason (a key `<reason>`), else `general`."""
    given = sorted({r for rs in (entry.get("low_score_reasons") or {}).values() for r in rs})
    for reason in given:
        if f"{LOW_SCORE_PREFIX}{reason}" in categories:
            return categories[f"{LOW_SCORE_PREFIX}{reason}"]
    return categories.get(entry.get("reason") or "", "general")


def move(
    db: Db,
    follow_up_id: str,
    change: Mapping[str, Any],
    who: str | None,
    seen: str | None = None,
) -> dict[str, Any]:
    """Assign a follow-up to a person and/or move it (`MOVES`: forward, or a resolved one
    reopened); resolving needs a root cause and an action, a resolved one takes no assignee.
    The change applies only to the follow-up as it was read (a concurrent move is refused),
    and with `seen` (the status the acting page showed) only while it still has that status:
    a second browser tab never redoes, over someone else's, a move already made."""
    current = db.follow_ups.find_one({"_id": follow_up_id})
    if current is None:
        raise LookupError(follow_up_id)
    was, step = current.get("status", "open"), change.get("status")
    if seen is not None and seen != was:
        raise BadStep("status", "The follow-up changed meanwhile; look at it again.")
    if step is None and not change.get("assignee"):
        raise BadStep("status", "Give a status, an assignee or both.")
    if step is not None and step not in MOVES.get(was, set()):
        raise BadStep("status", f"A {was} follow-up cannot be moved to {step}.")
    if step == "resolved" and not (change.get("root_cause") and change.get("action_taken")):
        raise BadStep("root_cause", "Resolving needs a root cause and an action taken.")
    if change.get("assignee") and (step or was) == "resolved":
        raise BadStep("assignee", "A resolved follow-up is not assigned; reopen it first.")
    now = datetime.now(UTC)
    fields = ("assignee", "root_cause", "action_taken", "note")
    update: dict[str, Any] = {k: change[k] for k in fields if change.get(k) is not None}
    unset: dict[str, Any] = {}
    if change.get("assignee"):
        update.update(assigned_at=now, assigned_by=who)
    if step is not None:
        label = "reopened" if step == "open" else step
        update.update({"status": step, f"{label}_at": now, f"{label}_by": who})
        if step == "open":
            unset = {"resolved_at": "", "resolved_by": ""}
    operation: dict[str, Any] = {"$set": update}
    if unset:
        operation["$unset"] = unset
    done = db.follow_ups.update_one(
        {"_id": follow_up_id, "status": current.get("status")}, operation
    )
    if done.matched_count == 0:
        raise BadStep("status", "The follow-up changed meanwhile; look at it again.")
    return db.follow_ups.find_one({"_id": follow_up_id}) or current


def listed(
    db: Db, filters: Mapping[str, Any], overdue: bool, now: datetime, limit: int = 1000
) -> list[dict[str, Any]]:
    """Follow-ups matching `filters` (status and dimensions), soonest due first; with
    `overdue`, only those not resolved and past due."""
    find = dict(filters)
    if overdue:
        find["due_at"] = {"$lt": now}
        if find.get("status", "open") == "resolved":
            return []
        find.setdefault("status", {"$ne": "resolved"})
    return list(db.follow_ups.find(find).sort("due_at", 1).limit(limit))


def overdue(db: Db, now: datetime, limit: int) -> list[dict[str, Any]]:
    """The overdue follow-ups, most overdue first."""
    return listed(db, {}, True, now, limit)


def of_contact(db: Db, rid: str) -> dict[str, Any] | None:
    """The follow-up of one contact (keyed by its response id), if one was opened."""
    return db.follow_ups.find_one({"_id": rid})


def count_overdue(db: Db, now: datetime) -> int:
    """How many follow-ups are not resolved and past due."""
    return db.follow_ups.count_documents({"status": {"$ne": "resolved"}, "due_at": {"$lt": now}})


def recently_resolved(db: Db, limit: int) -> list[dict[str, Any]]:
    """The follow-ups resolved last, newest first (those a team lead may reopen)."""
    return list(db.follow_ups.find({"status": "resolved"}).sort("resolved_at", -1).limit(limit))
