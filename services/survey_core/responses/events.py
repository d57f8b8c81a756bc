"""Append-only events: everything a channel learns about a response is one immutable insert.

An event's `_id` is derived from (channel, interaction, what it is about), so a replayed or
retried request is a duplicate-key no-op, and a second, *different* answer to the same question
is refused by the same key (and logged). Events are JSON-safe until inserted (they may wait in
the spool); `at`, the insert time, is what the folding worker's watermark follows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from flask import has_app_context
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from survey_core import keys, sealing
from survey_core.documents import Db
from survey_core.responses import dimensions
from survey_core.responses.spool import Spool
from survey_core.sealing import Keyring
from survey_core.statuses import OPENING, Status
from survey_core.storage.breaker import DATABASE_DOWN, breaker

log = logging.getLogger("voc.events")
Outcome = Literal["stored", "duplicate", "conflict"]
DUPLICATE_KEY = 11000  # the server's code for a key already taken
# What identifies a response and files it in the reports; carried by every event, so any one
# of a response's events can be folded first.
META_FIELDS = (
    "interaction_id",
    "version",
    "month",
    "started_at",
    "language",
    "expires_at",  # a link's: the response stays open until then
    *dimensions.FIELDS,  # channel, survey, agent_id, team, reason, trainer_id, session_id
)
# Meta that is a time: spooled as a POSIX timestamp (JSON-safe), stored as a datetime.
TIME_META = ("started_at", "expires_at")


class Kind(StrEnum):
    OPEN = "open"  # the response begins (or is left out): `status`
    ANSWER = "answer"  # one question answered: `key`, `qtype`, `value`, `reached`, `done`
    SKIP = "skip"  # one question passed without an answer: `key`, `reached`, `done`
    TRANSCRIPT = "transcript"  # text of a recorded answer: `key`, `text`
    CLOSE = "close"  # the conversation ended: `end_reason` (a call status, "timeout")
    SUBMIT = "submit"  # a whole questionnaire at once: `answers`, `qtypes`
    INVITE = "invite"  # a link was sent: the response is offered, not yet started
    DRAFT = "draft"  # answers saved before submitting: `answers`, `qtypes`, `reached`


def response_id(channel: str, interaction_id: str) -> str:
    """The `_id` of a response: its unique (channel, interaction_id) pair as one string
    (`survey_core.keys`: the channel escaped, the interaction id as it is)."""
    return keys.encode([channel, interaction_id], ":", tail=True)


def parts_of(rid: str) -> tuple[str, str]:
    """The (channel, interaction_id) of a response id."""
    channel, interaction = keys.decode(rid, ":", fields=2)
    return channel, interaction


def event_id(rid: str, subject: str) -> str:
    """The `_id` of an event about `subject` ("open", "q:<key>", ...) of response `rid`: the
    channel and interaction escaped, so no interaction id reads as another's subject."""
    return keys.encode([*parts_of(rid), subject], ":", tail=True)


def subject_of(kind: Kind, key: str | None) -> str:
    """What an event is about, within its response (its key's last field)."""
    if kind in (Kind.ANSWER, Kind.SKIP):
        return f"q:{key}"  # answer and skip share it: a question is settled once
    if kind is Kind.TRANSCRIPT:
        return f"t:{key}"
    if kind is Kind.DRAFT:
        return f"draft:{key}"  # drafts are numbered: draft:1, draft:2, ...
    return kind.value


def event(
    kind: Kind, meta: Mapping[str, Any], key: str | None = None, **fields: Any
) -> dict[str, Any]:
    """An event about the response `meta` names (channel and interaction_id at least)."""
    if kind is Kind.OPEN and fields.get("status") not in OPENING:
        raise ValueError(f"a response cannot open as {fields.get('status')!r}")
    rid = response_id(meta["channel"], meta["interaction_id"])
    doc: dict[str, Any] = {
        "_id": event_id(rid, subject_of(kind, key)),
        "rid": rid,
        "kind": kind.value,
        "meta": {k: v for k, v in meta.items() if v is not None},
    }
    if key is not None:
        doc["key"] = key
    doc.update({k: (v.value if isinstance(v, Status) else v) for k, v in fields.items()})
    return doc


def _stored_form(ev: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(ev.get("meta") or {})
    for name in TIME_META:
        if isinstance(meta.get(name), int | float):
            meta[name] = datetime.fromtimestamp(meta[name], UTC)
    return {**ev, "meta": meta, "at": datetime.now(UTC)}


# Kinds whose second, different version is refused (and logged) rather than a mere replay.
SETTLING = (Kind.ANSWER, Kind.SKIP, Kind.SUBMIT)


def sealed(ev: Mapping[str, Any], keyring: Keyring) -> dict[str, Any]:
    """`ev` with its free text (text answers, recording URLs, transcripts) sealed."""
    out = dict(ev)
    kind = ev.get("kind")
    if kind == Kind.ANSWER and "value" in ev:
        out["value"] = keyring.seal_answer(ev["value"], ev.get("qtype"))
    elif kind in (Kind.SUBMIT, Kind.DRAFT) and isinstance(ev.get("answers"), Mapping):
        out["answers"] = keyring.seal_answers(ev["answers"], ev.get("qtypes") or {})
    elif kind == Kind.TRANSCRIPT and "text" in ev:
        out["text"] = keyring.seal(ev["text"])
    return out


def _same(stored: Mapping[str, Any], ev: Mapping[str, Any], keyring: Keyring) -> bool:
    """Does `ev` say what the stored event with its `_id` says? Sealed values are compared
    opened: sealing is randomised, and a replay may be sealed under a newer key."""
    return (
        stored.get("kind") == ev.get("kind")
        and keyring.open_answer(stored.get("value")) == keyring.open_answer(ev.get("value"))
        and _opened(stored.get("answers"), keyring) == _opened(ev.get("answers"), keyring)
    )


def _opened(answers: Any, keyring: Keyring) -> Any:
    return keyring.open_answers(answers) if isinstance(answers, Mapping) else answers


def _keyring(keyring: Keyring | None) -> Keyring:
    if keyring is not None:
        return keyring
    return sealing.current() if has_app_context() else sealing.NO_KEYS


def insert(db: Db, ev: Mapping[str, Any], keyring: Keyring | None = None) -> Outcome:
    """Store one event once, its free text sealed under `keyring` (default: the app's). A
    replay is a "duplicate"; a different answer, a "conflict"."""
    ring = _keyring(keyring)
    try:
        db.events.insert_one(_stored_form(sealed(ev, ring)))
        return "stored"
    except DuplicateKeyError:
        # `rid` too: the shard key on a sharded cluster (survey_core.storage.sharding)
        found = {"_id": ev["_id"], "rid": ev["rid"]}
        stored = db.events.find_one(found, {"kind": 1, "value": 1, "answers": 1})
        if ev.get("kind") in SETTLING and not _same(stored or {}, ev, ring):
            log.warning("refused a second, different answer: %s", ev["_id"])
            return "conflict"
        return "duplicate"


def insert_all(db: Db, evs: list[dict[str, Any]]) -> None:
    """Store events that carry no answers (invitations' `invite`) in one round trip; one
    already stored is a replay and changes nothing."""
    if not evs:
        return
    try:
        db.events.insert_many([_stored_form(ev) for ev in evs], ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise


def record(
    db: Db, spool: Spool, events: list[dict[str, Any]], keyring: Keyring | None = None
) -> list[Outcome] | None:
    """Insert `events` in order, free text sealed (default: the app's keyring), and return
    their outcomes. When the database fails (down, or any error at all: a keyed insert is safe
    to replay) spool the rest, sealed, for the worker and return None."""
    ring = _keyring(keyring)
    events = [sealed(ev, ring) for ev in events]
    outcomes: list[Outcome] = []
    for i, ev in enumerate(events):
        try:
            breaker.check()
            outcomes.append(insert(db, ev, ring))
        except PyMongoError as exc:
            if isinstance(exc, DATABASE_DOWN):
                breaker.trip(exc)
            log.warning(
                "database write failed (%s): %d event(s) spooled",
                type(exc).__name__,
                len(events) - i,
            )
            for rest in events[i:]:
                spool.put(rest)
            return None
    return outcomes


def of_response(db: Db, rid: str, subjects: list[str]) -> list[dict[str, Any]]:
    """The stored events of response `rid` among `subjects` (by `_id`: no index needed; and
    by `rid`, the shard key: one shard answers)."""
    return list(db.events.find({"_id": {"$in": [event_id(rid, s) for s in subjects]}, "rid": rid}))
