"""Invitations: one signed, expiring link per (channel, interaction), and its `invite` event.

An invitation is a document of its own (`invitations`, keyed by the link's opaque id, unique on
the response id) because a link must be found from its token alone; the `invite` event puts the
response in the funnel as offered. A second invitation for the same contact finds the first.
The web survey invites customers; the training survey invites trainees (purpose "training").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.errors import BulkWriteError

from survey_core.documents import Db
from survey_core.months import month_of
from survey_core.responses import dimensions, events
from survey_core.responses.admission import took_part_since
from survey_core.responses.events import Kind, response_id
from survey_core.responses.hashing import caller_hash, keyed_hash
from survey_core.storage.lookups import find_in
from survey_core.tokens import LinkToken, new_link_id, read_link, read_token, sign_link


@dataclass(frozen=True)
class LinkPolicy:
    """How a service's links are made: what they are for, the keys, their lifetime."""

    purpose: str  # "survey" or "training": a token of one is no token of the other
    secret: str  # SECRET_KEY: signs the tokens
    hash_key: str  # PHONE_HASH_KEY: keys customers' numbers and addresses
    ttl_hours: float
    tz: ZoneInfo


class SurveySuppressed(Exception):
    """The customer took (or was invited to) a survey within the survey's suppression window."""

    def __init__(self, days: int) -> None:
        super().__init__(f"This customer was surveyed in the last {days} days.")
        self.days = days


@dataclass(frozen=True)
class Invited:
    invitation: dict[str, Any]
    created: bool  # False: the contact already had this invitation


def customer_hash(body: dict[str, Any], key: str) -> str | None:
    """The keyed hash of the customer's number (its digits) or e-mail address (lower case)."""
    if body.get("phone"):
        return caller_hash(body["phone"], key)
    if body.get("email"):
        return keyed_hash("mailto:" + body["email"].strip().lower(), key)
    return None


def _meta(
    body: dict[str, Any],
    survey: dict[str, Any],
    now: datetime,
    expires: datetime,
    hashed: str | None,
    tz: ZoneInfo,
) -> dict[str, Any]:
    """The response's identity and dimensions, JSON-safe; it counts in the month of the
    contact (the invitation), like a call counts in the month it was made."""
    fields = {
        "channel": body["channel"],
        "interaction_id": body["interaction_id"],
        "survey": survey["slug"],
        "version": survey["version"],
        "month": body.get("month") or month_of(now, tz),
        "started_at": now.timestamp(),
        "expires_at": int(expires.timestamp()),
        "language": body.get("lang") or survey["default_language"],
        "caller_hash": hashed,
        # The contact's dimensions (agent, team, reason) by name; a training evaluation's
        # (trainer, session) as stored by its session.
        **{d.field: body.get(d.name) for d in dimensions.CONTACT},
        **{field: body.get(field) for field in dimensions.TRAINING.values()},
    }
    return {k: v for k, v in fields.items() if v is not None}


def expires_at(policy: LinkPolicy, expires_in: int | None, now: datetime) -> datetime:
    """When a link made at `now` expires: after `expires_in` seconds, else the policy's TTL."""
    ttl = expires_in or int(policy.ttl_hours * 3600)
    return (now + timedelta(seconds=ttl)).replace(microsecond=0)


def invite(
    db: Db,
    policy: LinkPolicy,
    survey: dict[str, Any],
    body: dict[str, Any],
    now: datetime | None = None,
) -> Invited:
    """Create the invitation `body` describes (or find the contact's existing one);
    SurveySuppressed if the customer took another survey within the survey's `suppress_days`."""
    found = invite_many(db, policy, [(survey, body)], now)[0]
    if isinstance(found, SurveySuppressed):
        raise found
    return found


def invite_many(
    db: Db,
    policy: LinkPolicy,
    asked: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    now: datetime | None = None,
) -> list[Invited | SurveySuppressed]:
    """Create the invitations of (survey, body) pairs in order, in four steps however many
    (the look-ups a bounded `$in` at a time, `storage.lookups`): the contacts' existing
    invitations, the customers' last participations, the new
    invitations, their `invite` events. One outcome per pair: the invitation (created, or the
    contact's existing one: a second pair for a contact finds the first's), or
    SurveySuppressed."""
    now = now or datetime.now(UTC)
    rids = [response_id(body["channel"], body["interaction_id"]) for _, body in asked]
    known = {d["rid"]: d for d in find_in(db.invitations, "rid", sorted(set(rids)))}
    hashes = [customer_hash(body, policy.hash_key) for _, body in asked]
    wanted = sorted({h for h in hashes if h})
    latest = {d["_id"]: d for d in find_in(db.callers, "_id", wanted)}
    outcomes: list[Invited | SurveySuppressed] = []
    made: list[dict[str, Any]] = []
    for (survey, body), rid, hashed in zip(asked, rids, hashes, strict=True):
        if rid in known:
            outcomes.append(Invited(known[rid], created=False))
            continue
        days = survey["suppress_days"]
        if took_part_since(latest.get(hashed or ""), days, body["interaction_id"], now):
            outcomes.append(SurveySuppressed(days))
            continue
        known[rid] = _invitation(policy, survey, body, rid, hashed, now)
        made.append(known[rid])
        outcomes.append(Invited(known[rid], created=True))
    lost = _insert_new(db, made)
    if lost:  # concurrent requests for the same contacts won: theirs are the contacts' links
        won = {d["rid"]: d for d in find_in(db.invitations, "rid", sorted(lost))}
        outcomes = [
            Invited(won.get(o.invitation["rid"], o.invitation), created=False)
            if isinstance(o, Invited) and o.created and o.invitation["rid"] in lost
            else o
            for o in outcomes
        ]
    # The `invite` events (again for existing ones, after a failure between the two writes:
    # a replay changes nothing).
    shown = {o.invitation["rid"]: o.invitation for o in outcomes if isinstance(o, Invited)}
    events.insert_all(db, [events.event(Kind.INVITE, inv["meta"]) for inv in shown.values()])
    return outcomes


def _invitation(
    policy: LinkPolicy,
    survey: dict[str, Any],
    body: dict[str, Any],
    rid: str,
    hashed: str | None,
    now: datetime,
) -> dict[str, Any]:
    expires = expires_at(policy, body.get("expires_in"), now)
    link_id = new_link_id()
    meta = _meta(body, survey, now, expires, hashed, policy.tz)
    return {
        "_id": link_id,
        "rid": rid,
        "token": sign_link(policy.secret, policy.purpose, link_id, expires, meta),
        "meta": meta,
        "created_at": now,
        "expires_at": expires,
    }


def _insert_new(db: Db, made: list[dict[str, Any]]) -> set[str]:
    """Insert the new invitations; the contacts (rids) whose insert met another's invitation."""
    if not made:
        return set()
    try:
        db.invitations.insert_many(made, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != events.DUPLICATE_KEY for e in errors):
            raise
        return {made[e["index"]]["rid"] for e in errors}
    return set()


def find(db: Db, policy: LinkPolicy, token: str) -> dict[str, Any] | None:
    """The invitation of a genuine, unexpired token (LinkInvalid / LinkExpired otherwise);
    None if the database does not know it (a token signed elsewhere with our key)."""
    link_id, _ = read_link(policy.secret, policy.purpose, token)
    return db.invitations.find_one({"_id": link_id})


# What a submission needs of its invitation, all in a token's claims.
SUBMISSION_CLAIMS = ("channel", "interaction_id", "survey", "version")


def from_token(policy: LinkPolicy, token: str) -> dict[str, Any] | None:
    """The invitation as far as a genuine, unexpired token tells it, without a database read
    (LinkInvalid / LinkExpired otherwise): its id, response id, expiry and the meta a
    submission carries (the worker joins the rest from the invitation's `invite` event).
    None for a token whose claims do not tell enough (signed before tokens carried claims)."""
    found: LinkToken = read_token(policy.secret, policy.purpose, token)
    claims = found.claims
    if not all(claims.get(name) for name in SUBMISSION_CLAIMS):
        return None
    return {
        "_id": found.link_id,
        "rid": response_id(claims["channel"], claims["interaction_id"]),
        "meta": dict(claims),
        "expires_at": found.expires_at,
    }


def mark_sent(db: Db, invitation: dict[str, Any], sid: str) -> None:
    db.invitations.update_one(
        {"_id": invitation["_id"]}, {"$set": {"sent_at": datetime.now(UTC), "message_sid": sid}}
    )
