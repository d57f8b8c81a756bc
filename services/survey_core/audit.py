"""The audit trail: one append-only record per write made with an API key or through the
dashboard (and per export), readable by admins. Nothing updates or deletes a record.

A record names who (the key's name, never the key or its hash), what (`action`: the method
and route, or a command's name), on what (`target`: the route's parameters and the id the
answer gave), the request id, the outcome (an HTTP status, or "ok"/"failed"), and when. It
holds no request body: bodies may carry personal data, and the trail is kept longer than they
are.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.client_session import ClientSession

from survey_core.documents import Db

COLLECTION = "audit"
PAGE_MAX = 500


def entry(
    actor: str,
    action: str,
    target: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    outcome: int | str = "ok",
    via: str = "api",
) -> dict[str, Any]:
    """An audit record (not yet stored): `via` is api, dashboard or cli."""
    return {
        "at": datetime.now(UTC),
        "actor": actor,
        "via": via,
        "action": action,
        "target": dict(target or {}),
        "request_id": request_id,
        "outcome": outcome,
    }


def append(db: Db, record: Mapping[str, Any], session: ClientSession | None = None) -> None:
    """Store one audit record (an insert: nothing here updates or deletes one); with `session`,
    in its transaction, with the write it records."""
    db[COLLECTION].insert_one(dict(record), session=session)


def search(
    db: Db,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Records newest first, filtered; `before` (a record id) pages on past the last one."""
    query: dict[str, Any] = {}
    if actor is not None:
        query["actor"] = actor
    if action is not None:
        query["action"] = action
    if since is not None or until is not None:
        query["at"] = {
            **({"$gte": since} if since is not None else {}),
            **({"$lt": until} if until is not None else {}),
        }
    if before is not None:
        query["_id"] = {"$lt": ObjectId(before)}
    found = db[COLLECTION].find(query).sort("_id", DESCENDING).limit(min(limit, PAGE_MAX))
    return list(found)
