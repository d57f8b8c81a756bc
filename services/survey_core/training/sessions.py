"""Trainers, sessions and their evaluation links; what a session may show of its evaluations.

Anonymity: trainee ids are never stored. Each trainee's link is an invitation whose contact id
is a keyed hash of (session, trainee): one evaluation per trainee (the submission's key), and no
stored field, token or log line names a trainee. `training_rosters` keeps only the session's
evaluation record ids (those hashes), so its comments are read by `_id`. How many have answered
comes from the counts, never from a list of who.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from survey_core import sealing
from survey_core.documents import Db
from survey_core.months import month_of
from survey_core.questionnaires.invitations import Invited, LinkPolicy, expires_at, invite_many
from survey_core.responses.dimensions import TRAINING_CHANNEL
from survey_core.responses.events import response_id
from survey_core.responses.hashing import evaluation_interaction
from survey_core.settings import LinkSettings
from survey_core.statuses import Status
from survey_core.storage.lookups import find_in

CHANNEL = TRAINING_CHANNEL


class NotFound(Exception):
    """No such trainer or session."""


class Invalid(Exception):
    """A request that names something it may not (field -> message)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.errors = {field: [message]}


def add_trainer(db: Db, body: dict[str, Any]) -> dict[str, Any] | None:
    """Store a trainer; None if the id is taken."""
    doc = {"_id": body["id"], **{k: v for k, v in body.items() if k != "id"}}
    doc["created_at"] = datetime.now(UTC)
    try:
        db.trainers.insert_one(doc)
    except DuplicateKeyError:
        return None
    return doc


def trainers(db: Db) -> list[dict[str, Any]]:
    return list(db.trainers.find().sort("_id", 1))


def create_session(
    db: Db,
    settings: LinkSettings,
    policy: LinkPolicy,
    survey: dict[str, Any],
    body: dict[str, Any],
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The session and one evaluation invitation per trainee, as (trainee id, invitation)."""
    trainer = db.trainers.find_one({"_id": body["trainer_id"]})
    if trainer is None:
        raise Invalid("trainer_id", f"There is no trainer {body['trainer_id']!r}.")
    if not trainer.get("active", True):
        raise Invalid("trainer_id", f"Trainer {body['trainer_id']!r} is not active.")
    session_id = body.get("session_id") or "ts_" + secrets.token_hex(8)  # demo data names its own
    held_at = body["held_at"].astimezone(UTC)
    now = datetime.now(UTC)
    session = {
        "_id": session_id,
        "trainer_id": trainer["_id"],
        "team": trainer.get("team"),
        "topic": body["topic"],
        "held_at": held_at,
        "month": month_of(held_at, settings.tz),
        "language": body["language"],
        "invited": len(body["trainees"]),
        "closed_at": None,
        # The evaluation window closes when the links expire (or the session is closed), so
        # it is stored with the session itself: a session is never left without one.
        "links_expire_at": expires_at(policy, body.get("expires_in"), now),
        "created_at": now,
    }
    db.training_sessions.insert_one(session)
    hashed = {
        t: evaluation_interaction(session_id, t, settings.phone_hash_key) for t in body["trainees"]
    }
    evaluations = [response_id(CHANNEL, interaction) for interaction in hashed.values()]
    db.training_rosters.insert_one({"_id": session_id, "evaluations": evaluations})
    contacts = []
    for trainee in body["trainees"]:
        contact = {
            "channel": CHANNEL,
            "interaction_id": hashed[trainee],
            "team": trainer.get("team"),
            "lang": body["language"],
            "month": session["month"],
            "trainer_id": trainer["_id"],
            "session_id": session_id,
            "expires_in": body.get("expires_in"),
        }
        contacts.append((survey, contact))
    made = invite_many(db, policy, contacts, now)  # a trainee is never suppressed: no number
    links = [
        (trainee, done.invitation)
        for trainee, done in zip(body["trainees"], made, strict=True)
        if isinstance(done, Invited)
    ]
    return session, links


def close_session(db: Db, session_id: str) -> dict[str, Any]:
    """No more evaluations for this session (those given stay)."""
    db.training_sessions.update_one(
        {"_id": session_id, "closed_at": None}, {"$set": {"closed_at": datetime.now(UTC)}}
    )
    session = db.training_sessions.find_one({"_id": session_id})
    if session is None:
        raise NotFound(session_id)
    return session


def is_closed(db: Db, session_id: str | None) -> bool:
    if not session_id:
        return False
    session = db.training_sessions.find_one({"_id": session_id}, {"closed_at": 1})
    return bool(session and session.get("closed_at"))


def sessions(db: Db, month: str | None, trainer: str | None) -> list[dict[str, Any]]:
    query = {k: v for k, v in {"month": month, "trainer_id": trainer}.items() if v}
    return list(db.training_sessions.find(query).sort("held_at", 1).limit(5000))


def comments(db: Db, session_id: str, hash_key: str, answered: int) -> list[str] | None:
    """The session's comments, sorted (not in the order given: order could tell who); None
    until all `answered` evaluations are folded into records (a list growing one by one after
    release would tell the order they came in).

    Read by `_id`, the roster's evaluations (the shard key of `responses`: on a sharded
    cluster this goes to the shards holding them, not to every shard).
    """
    roster = db.training_rosters.find_one({"_id": session_id}) or {}
    ids = roster.get("evaluations") or [
        # Sessions created before rosters held hashes only.
        response_id(CHANNEL, evaluation_interaction(session_id, trainee, hash_key))
        for trainee in roster.get("trainees", [])
    ]
    if not ids:
        return []
    found = list(
        find_in(db.responses, "_id", ids, {"status": Status.COMPLETE}, {"answers.comment": 1})
    )
    if len(found) < answered:
        return None
    keyring = sealing.current()
    return sorted(
        c for doc in found if (c := keyring.shown((doc.get("answers") or {}).get("comment")))
    )
