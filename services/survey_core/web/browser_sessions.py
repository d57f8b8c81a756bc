"""The dashboard's server-side sessions: the cookie carries only a random id, signing out
deletes the record, so a copy of the old cookie answers as signed out."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from survey_core.documents import Db
from survey_core.web.auth import live_key

# How long a sign-in lasts without a sign-out (the record then expires; a TTL index removes it).
SESSION_HOURS = 12
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")
_KEY_HASH = re.compile(r"[0-9a-f]{64}")


def session_id_of(value: Any) -> str | None:
    """`value` (read from a cookie) if it is a session id we could have made, else None:
    anything else, an operator document included, never reaches a query."""
    return value if isinstance(value, str) and _SESSION_ID.fullmatch(value) else None


def open_session(db: Db, key_hash: str) -> str:
    """A new session for the key with `key_hash`; returns its id (what the cookie carries)."""
    if not (isinstance(key_hash, str) and _KEY_HASH.fullmatch(key_hash)):
        raise ValueError("not a key hash")
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.dashboard_sessions.insert_one(
        {
            "_id": session_id,
            "key_hash": key_hash,
            "created_at": now,
            "expires_at": now + timedelta(hours=SESSION_HOURS),
        }
    )
    return session_id


def key_of(db: Db, value: Any) -> dict[str, Any] | None:
    """The unrevoked API key of the live session whose id is `value`, or None."""
    session_id = session_id_of(value)
    if session_id is None:
        return None
    record = db.dashboard_sessions.find_one(
        {"_id": session_id, "expires_at": {"$gt": datetime.now(UTC)}}
    )
    key_hash = (record or {}).get("key_hash")
    if not (isinstance(key_hash, str) and _KEY_HASH.fullmatch(key_hash)):
        return None
    return live_key(db, key_hash)


def close_session(db: Db, value: Any) -> None:
    """End the session whose id is `value` (if any): its cookie no longer signs anyone in."""
    session_id = session_id_of(value)
    if session_id is not None:
        db.dashboard_sessions.delete_one({"_id": session_id})
