"""Retention: each kind of personal data is kept for its period, then removed; scores and
counts stay (they are not personal once aggregated), so reports and `rollups rebuild` are
unchanged.

- recordings (an IVR answer `{url, duration}` in records and events; the audio at Twilio),
  after `RETAIN_RECORDINGS_DAYS`: deleted at Twilio, the URL removed (the duration stays);
- free text (text answers and transcripts in records and events, follow-ups' comments), after
  `RETAIN_COMMENTS_DAYS`: removed (the answer's key stays, empty);
- contact hashes (`callers`, `caller_hash` in records and invitations), after
  `RETAIN_CONTACT_HASHES_DAYS` (default: the longest suppression window): removed;
- raw events, once folded into the records, after `RETAIN_EVENTS_DAYS`: deleted.

Ages count from a response's `started_at` (a follow-up's `created_at`, a caller's last
participation, an event's insert time). Each pass works in bounded batches and marks what it
did (`retained.<kind>` on a record), so a second run finds nothing to do; `dry_run` counts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from survey_core import sealing
from survey_core.documents import Db
from survey_core.folding.reads import RECHECK, STATE_ID
from survey_core.messaging import recording_sid
from survey_core.responses.events import Kind, event_id, subject_of
from survey_core.sealing import Keyring
from survey_core.storage.lookups import delete_in
from survey_core.surveys.catalog import SurveyOf

# Deletes a recording at Twilio by its SID (a missing one is no error: it is gone).
DeleteRecording = Callable[[str], None]


@dataclass(frozen=True)
class Retention:
    recordings_days: int
    comments_days: int
    events_days: int
    contact_hashes_days: int | None  # None: the longest suppression window of any survey
    keyring: Keyring = sealing.NO_KEYS  # opens sealed recording URLs (to find the Twilio SID)


def _keys_of(survey: Mapping[str, Any] | None, qtype: str) -> list[str]:
    return [q["key"] for q in (survey or {}).get("questions", []) if q.get("type") == qtype]


def _old_records(
    db: Db, kind: str, cutoff: datetime, extra: dict[str, Any], batch: int
) -> Iterator[dict[str, Any]]:
    """Records started before `cutoff` that retention of `kind` has not handled yet."""
    query = {"started_at": {"$lt": cutoff}, f"retained.{kind}": {"$exists": False}, **extra}
    fields = {"answers": 1, "survey": 1, "version": 1, "transcripts": 1}
    yield from db.responses.find(query, fields).limit(batch)


def _recordings(
    db: Db,
    keyring: Keyring,
    survey_of: SurveyOf,
    cutoff: datetime,
    delete: DeleteRecording | None,
    now: datetime,
    dry_run: bool,
    batch: int,
) -> int:
    """Delete old recordings at Twilio and remove their URLs; returns how many."""
    removed = 0
    for record in _old_records(db, "recordings", cutoff, {"channel": "ivr"}, batch):
        survey = survey_of(record.get("survey") or "", int(record.get("version") or 0))
        found = {
            key: value
            for key in _keys_of(survey, "recording")
            if isinstance(value := (record.get("answers") or {}).get(key), Mapping)
            and value.get("url")
        }
        removed += len(found)
        if dry_run:
            continue
        if found and delete is None:
            continue  # no Twilio credentials: keep the URL, or the audio could never go
        changes: dict[str, Any] = {"retained.recordings": now}
        for key, value in found.items():
            sid = recording_sid(value, keyring)
            if sid and delete is not None:
                delete(sid)
            kept = {"duration": value.get("duration"), "removed_at": now}
            changes[f"answers.{key}"] = kept
            db.events.update_one(
                {
                    "_id": event_id(record["_id"], subject_of(Kind.ANSWER, key)),
                    "rid": record["_id"],
                },
                {"$set": {"value": kept}},
            )
        db.responses.update_one({"_id": record["_id"]}, {"$set": changes})
    return removed


def _free_text(
    db: Db, survey_of: SurveyOf, cutoff: datetime, now: datetime, dry_run: bool, batch: int
) -> int:
    """Remove old comments (text answers), transcripts and follow-ups' comments."""
    removed = 0
    for record in _old_records(db, "comments", cutoff, {}, batch):
        survey = survey_of(record.get("survey") or "", int(record.get("version") or 0))
        answers = record.get("answers") or {}
        texts = [k for k in _keys_of(survey, "text") if answers.get(k) is not None]
        transcripts = list(record.get("transcripts") or {})
        removed += len(texts) + len(transcripts)
        if dry_run:
            continue
        rid = record["_id"]
        changes: dict[str, Any] = {"retained.comments": now, "transcripts": {}}
        changes |= {f"answers.{k}": None for k in texts}
        db.responses.update_one({"_id": rid}, {"$set": changes})
        for key in texts:
            db.events.update_one(
                {"_id": event_id(rid, subject_of(Kind.ANSWER, key)), "rid": rid},
                {"$unset": {"value": ""}},
            )
        if texts:  # submissions and drafts hold all their answers
            unset = {f"answers.{k}": "" for k in texts}
            db.events.update_many(
                {"rid": rid, "kind": {"$in": ["submit", "draft"]}}, {"$unset": unset}
            )
        if transcripts:
            db.events.update_many({"rid": rid, "kind": "transcript"}, {"$unset": {"text": ""}})
    for collection, stamp in (("follow_ups", "created_at"), ("followup_queue", "started_at")):
        query = {stamp: {"$lt": cutoff}, "comment": {"$nin": [None]}}
        if dry_run:
            removed += db[collection].count_documents(query)
        else:
            removed += db[collection].update_many(query, {"$set": {"comment": None}}).modified_count
    return removed


def longest_suppression(db: Db) -> int:
    """The longest `suppress_days` of any survey definition (at least a day)."""
    found = db.surveys.find({}, {"suppress_days": 1}).sort("suppress_days", -1).limit(1)
    return max(1, *(int(d.get("suppress_days") or 0) for d in found))


def _contact_hashes(db: Db, cutoff: datetime, dry_run: bool) -> int:
    old_callers = {"started_at": {"$lt": cutoff}}
    old_records = {"started_at": {"$lt": cutoff}, "caller_hash": {"$exists": True}}
    old_invitations = {"created_at": {"$lt": cutoff}, "meta.caller_hash": {"$exists": True}}
    if dry_run:
        return sum(
            db[c].count_documents(q)
            for c, q in (
                ("callers", old_callers),
                ("responses", old_records),
                ("invitations", old_invitations),
            )
        )
    removed = db.callers.delete_many(old_callers).deleted_count
    removed += db.responses.update_many(old_records, {"$unset": {"caller_hash": ""}}).modified_count
    removed += db.invitations.update_many(
        old_invitations, {"$unset": {"meta.caller_hash": ""}}
    ).modified_count
    return removed


def _folded_events(db: Db, cutoff: datetime, dry_run: bool, batch: int) -> int:
    """Delete events inserted before `cutoff` that both watermarks have passed."""
    state = db.fold_state.find_one({"_id": STATE_ID}) or {}
    checked = state.get(RECHECK)
    if checked is None:
        return 0
    if checked.tzinfo is None:
        checked = checked.replace(tzinfo=UTC)
    query = {"at": {"$lt": min(cutoff, checked)}}
    if dry_run:
        return db.events.count_documents(query)
    ids = [d["_id"] for d in db.events.find(query, {"_id": 1}).limit(batch)]
    return delete_in(db.events, "_id", ids)


def enforce(
    db: Db,
    policy: Retention,
    survey_of: SurveyOf,
    delete_recording: DeleteRecording | None,
    now: datetime | None = None,
    dry_run: bool = False,
    batch: int = 500,
) -> dict[str, int]:
    """One bounded pass of every kind; returns how many items each removed (or would)."""
    now = now or datetime.now(UTC)

    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    hashes_days = policy.contact_hashes_days or longest_suppression(db)
    return {
        "recordings": _recordings(
            db,
            policy.keyring,
            survey_of,
            before(policy.recordings_days),
            delete_recording,
            now,
            dry_run,
            batch,
        ),
        "free_text": _free_text(db, survey_of, before(policy.comments_days), now, dry_run, batch),
        "contact_hashes": _contact_hashes(db, before(hashes_days), dry_run),
        "events": _folded_events(db, before(policy.events_days), dry_run, batch),
    }
