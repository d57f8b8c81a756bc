"""Access and erasure on request (GDPR Art. 15 and 17, PIPL Art. 45 and 47).

A subject is a phone number, an e-mail address, a trainee of a session or an interaction id.
It is found through the same keyed hashes the services store (the identifier itself is never
stored): the caller hash of a number, the hash of `mailto:<address>`, the evaluation id of
(session, trainee), or the response id of an interaction. From those come the responses it
touches, and from them everything else: events, records, invitations, follow-ups and their
queue, complaints, quality records, live calls, webhook deliveries, suppression entries, this
host's spool, and recordings at Twilio.

Export returns all of it. Erasure leaves each response as an anonymous record under a new
random id (scores, ratings, status, month, survey, agent, team, reason, channel), so every
rollup count stays and `rollups rebuild` still equals them; everything else about the subject
goes. Erasing first folds what is not folded yet (so no count is lost), and every step is
idempotent: a request re-run after a crash half-way completes it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.client_session import ClientSession

from survey_core import sealing
from survey_core.complaints.store import complaint_id
from survey_core.documents import Db
from survey_core.folding.batch import fold_all
from survey_core.keys import monitor_score_id
from survey_core.messaging import recording_deleter, recording_sid
from survey_core.privacy.retention import DeleteRecording
from survey_core.responses.events import parts_of, response_id
from survey_core.responses.hashing import caller_hash, evaluation_interaction, keyed_hash
from survey_core.responses.webhooks import message_id
from survey_core.sealing import Keyring
from survey_core.storage.transactions import in_transaction
from survey_core.surveys.catalog import SurveyOf

# What an anonymous record keeps: what its counts depend on (rollups, rebuild), nothing else.
KEPT = (
    "channel",
    "survey",
    "version",
    "month",
    "agent_id",
    "team",
    "reason",
    "status",
    "last_question_reached",
    "scores",
    "ratings",
    "low_score_reasons",
    "counted",
    "done",
    "reached",
    "skipped",
    "opened",
    "invited",
    "closed",
    "submitted",
    "trainer_id",
    "session_id",
    "language",
)
ERASED_PREFIX = "erased-"
TRAINING = "training"  # the channel of trainees' evaluations


@dataclass(frozen=True)
class Subject:
    """Whom a request is about: exactly one identifier (a trainee with their session)."""

    phone: str | None = None
    email: str | None = None
    trainee_id: str | None = None
    session_id: str | None = None
    interaction_id: str | None = None
    channel: str | None = None  # narrows an interaction id to one channel

    def hashes(self, key: str) -> list[str]:
        """The keyed hashes stored for this subject's contact (suppression, `caller_hash`)."""
        found = []
        if self.phone:
            found.append(caller_hash(self.phone, key))
        if self.email:
            found.append(keyed_hash("mailto:" + self.email.strip().lower(), key))
        return [h for h in found if h]


def _training_rid(subject: Subject, key: str) -> str | None:
    if not (subject.trainee_id and subject.session_id):
        return None
    interaction = evaluation_interaction(subject.session_id, subject.trainee_id, key)
    return response_id(TRAINING, interaction)


def response_ids(db: Db, subject: Subject, key: str) -> list[str]:
    """Every response the subject touches (records, events not folded yet, invitations)."""
    rids: set[str] = set()
    hashes = subject.hashes(key)
    if hashes:
        rids |= {d["_id"] for d in db.responses.find({"caller_hash": {"$in": hashes}}, {"_id": 1})}
        rids |= {
            d["rid"] for d in db.events.find({"meta.caller_hash": {"$in": hashes}}, {"rid": 1})
        }
        found = db.invitations.find({"meta.caller_hash": {"$in": hashes}}, {"rid": 1})
        rids |= {d["rid"] for d in found}
    training = _training_rid(subject, key)
    if training:
        rids.add(training)
    if subject.interaction_id:
        query: dict[str, Any] = {"interaction_id": subject.interaction_id}
        if subject.channel:
            query["channel"] = subject.channel
        rids |= {d["_id"] for d in db.responses.find(query, {"_id": 1})}
        meta = {"meta.interaction_id": subject.interaction_id}
        if subject.channel:
            meta["meta.channel"] = subject.channel
        rids |= {d["rid"] for d in db.events.find(meta, {"rid": 1})}
    return sorted(rids)


def _related(rid: str) -> dict[str, dict[str, Any]]:
    """Per collection, the query that finds what response `rid` left there."""
    channel, interaction = parts_of(rid)
    return {
        "responses": {"_id": rid},
        "events": {"rid": rid},
        "invitations": {"rid": rid},
        "follow_ups": {"_id": rid},
        "followup_queue": {"_id": rid},
        "complaints": {
            "$or": [
                {"_id": complaint_id("survey", rid)},
                {"interaction_id": interaction, "channel": channel},
            ]
        },
        "monitor_scores": {"rid": rid},
        "agent_ratings": {"_id": rid},
        "live": {"_id": rid},
        "webhook_deliveries": {"_id": message_id(rid)},
    }


def _spooled(spool_dir: str | Path | None, rids: set[str]) -> list[Path]:
    """This host's spool files holding an event of one of `rids`."""
    if not spool_dir or not Path(spool_dir).is_dir():
        return []
    found = []
    for path in sorted(Path(spool_dir).glob("*.json")):
        try:
            if json.loads(path.read_text()).get("rid") in rids:
                found.append(path)
        except (OSError, ValueError):
            continue
    return found


def export(
    db: Db,
    subject: Subject,
    key: str,
    spool_dir: str | Path | None = None,
    keyring: Keyring = sealing.NO_KEYS,
) -> dict[str, Any]:
    """Everything stored about the subject, per collection (JSON-safe), free text opened."""
    rids = response_ids(db, subject, key)
    out: dict[str, list[dict[str, Any]]] = {}
    for rid in rids:
        for name, query in _related(rid).items():
            out.setdefault(name, []).extend(db[name].find(query))
    hashes = subject.hashes(key)
    if hashes:
        out["callers"] = list(db.callers.find({"_id": {"$in": hashes}}))
    spooled = _spooled(spool_dir, set(rids))
    if spooled:
        out["spool"] = [json.loads(p.read_text()) for p in spooled]
    unique = {
        name: list({str(d.get("_id")): d for d in docs}.values())
        for name, docs in out.items()
        if docs
    }
    found = {"responses_found": rids, "data": keyring.open_all(unique)}
    exported: dict[str, Any] = json.loads(json.dumps(found, default=str))
    return exported


def _recordings(record: dict[str, Any], keyring: Keyring) -> Iterable[str]:
    for value in (record.get("answers") or {}).values():
        sid = recording_sid(value, keyring)
        if sid:
            yield sid


def _anonymous(record: dict[str, Any], rid: str, now: datetime) -> dict[str, Any]:
    kept = {k: record[k] for k in KEPT if k in record}
    _, interaction = parts_of(rid)
    return {**kept, "_id": rid, "interaction_id": interaction, "answers": {}, "erased_at": now}


def _rekey(
    db: Db,
    s: ClientSession,
    collection: str,
    query: dict[str, Any],
    new: Callable[[dict[str, Any]], dict[str, Any] | None],
) -> int:
    """Move the documents `query` finds to what `new(doc)` makes of them (None: delete)."""
    moved = 0
    for doc in list(db[collection].find(query, session=s)):
        db[collection].delete_one({"_id": doc["_id"]}, session=s)
        replacement = new(doc)
        if replacement is not None:
            db[collection].insert_one(replacement, session=s)
        moved += 1
    return moved


def _erase_response(db: Db, rid: str, now: datetime) -> dict[str, int]:
    """One response, in one transaction: an anonymous record under a new random id in its
    place (if it counts), its quality records, follow-up and complaints moved to that id
    without identifiers or free text, everything else about it deleted."""

    def work(s: ClientSession) -> dict[str, int]:
        channel, interaction = parts_of(rid)
        anon = response_id(channel, ERASED_PREFIX + uuid.uuid4().hex)
        _, anon_interaction = parts_of(anon)
        record = db.responses.find_one({"_id": rid}, session=s)
        counts = bool(record and record.get("status"))
        if record is not None:
            db.responses.delete_one({"_id": rid}, session=s)
            if counts:
                db.responses.insert_one(_anonymous(record, anon, now), session=s)
        stripped = {"interaction": None, "interaction_id": anon_interaction, "comment": None}
        done = {
            "events": db.events.delete_many({"rid": rid}, session=s).deleted_count,
            "invitations": db.invitations.delete_many({"rid": rid}, session=s).deleted_count,
            "live": db.live.delete_many({"_id": rid}, session=s).deleted_count,
            "webhook_deliveries": db.webhook_deliveries.delete_many(
                {"_id": message_id(rid)}, session=s
            ).deleted_count,
        }
        keep = (lambda make: make) if counts else (lambda make: lambda doc: None)
        done["follow_ups"] = _rekey(
            db, s, "follow_ups", {"_id": rid}, keep(lambda d: {**d, **stripped, "_id": anon})
        ) + _rekey(
            db, s, "followup_queue", {"_id": rid}, keep(lambda d: {**d, **stripped, "_id": anon})
        )
        done["quality_records"] = _rekey(
            db,
            s,
            "monitor_scores",
            {"rid": rid},
            lambda d: {
                **d,
                "_id": monitor_score_id(d["monitor_id"], anon),
                "rid": anon,
                "interaction_id": anon_interaction,
                "comment": None,
            },
        ) + _rekey(
            db,
            s,
            "agent_ratings",
            {"_id": rid},
            lambda d: {**d, "_id": anon, "interaction_id": anon_interaction},
        )
        done["complaints"] = _rekey(
            db,
            s,
            "complaints",
            {"_id": complaint_id("survey", rid)},
            lambda d: {**d, **stripped, "_id": complaint_id("survey", anon), "external_id": anon},
        )
        done["complaints"] += db.complaints.update_many(
            {"interaction_id": interaction, "channel": channel},
            {"$unset": {"interaction_id": ""}},
            session=s,
        ).modified_count
        return done

    return in_transaction(db, work, budget_s=30.0)


def erase(
    db: Db,
    subject: Subject,
    key: str,
    survey_of: SurveyOf,
    delete_recording: DeleteRecording | None,
    spool_dir: str | Path | None = None,
    now: datetime | None = None,
    keyring: Keyring = sealing.NO_KEYS,
) -> dict[str, Any]:
    """Erase the subject everywhere but in the counts; returns what was found and done
    (`keyring` opens sealed recording URLs, to find them at Twilio)."""
    now = now or datetime.now(UTC)
    fold_all(db, survey_of, lag_s=0)  # every count in the rollups before the events go
    rids = response_ids(db, subject, key)
    done: dict[str, int] = {"responses": 0, "recordings": 0}
    for rid in rids:
        record = db.responses.find_one({"_id": rid}) or {}
        sids = list(_recordings(record, keyring))
        if sids:
            if delete_recording is None:
                raise RecordingsKept(sids)
            for sid in sids:
                delete_recording(sid)
        done["recordings"] += len(sids)
        for name, n in _erase_response(db, rid, now).items():
            done[name] = done.get(name, 0) + n
        done["responses"] += 1
    hashes = subject.hashes(key)
    if hashes:
        done["callers"] = db.callers.delete_many({"_id": {"$in": hashes}}).deleted_count
    done["audit_targets"] = _redact_audit(db, [parts_of(rid)[1] for rid in rids])
    for path in _spooled(spool_dir, set(rids)):
        path.unlink(missing_ok=True)
        done["spool"] = done.get("spool", 0) + 1
    return {"responses_found": len(rids), "removed": done}


def _redact_audit(db: Db, interactions: list[str]) -> int:
    """Audit records stay, but a target that names one of `interactions` (a follow-up's or a
    quality record's id) says `[erased]` instead: the trail keeps who did what and when."""
    if not interactions:
        return 0
    redacted = 0
    for record in db.audit.find({}, {"target": 1}):
        target = record.get("target") or {}
        cleaned = {
            k: "[erased]" if any(i in str(v) for i in interactions) else v
            for k, v in target.items()
        }
        if cleaned != target:
            db.audit.update_one({"_id": record["_id"]}, {"$set": {"target": cleaned}})
            redacted += 1
    return redacted


class RecordingsKept(Exception):
    """Recordings must be deleted at Twilio first, and no credentials were given."""


def carry_out(
    db: Db,
    action: str,
    subject: Subject,
    key: str,
    survey_of: SurveyOf,
    settings: Any,
    spool_dir: str | Path | None = None,
    keyring: Keyring = sealing.NO_KEYS,
) -> dict[str, Any]:
    """One access ("export") or erasure ("erase") request, as the API and `surveyctl privacy`
    make it; `settings` carries the Twilio credentials for deleting recordings
    (`twilio_account_sid`, `twilio_auth_token`, `twilio_api_base_url`).
    Raises RecordingsKept (no credentials) or TwilioUnavailable."""
    if action == "export":
        return export(db, subject, key, spool_dir, keyring)
    delete = recording_deleter(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )
    return erase(db, subject, key, survey_of, delete, spool_dir, keyring=keyring)


def record_request(db: Db, record: dict[str, Any]) -> None:
    """Keep the record of a request carried out (what, about whom by kind, by whom, how many):
    the subject itself is not kept."""
    db.privacy_requests.insert_one(record)
