"""API keys with scopes, stored only as SHA-256 hashes, and the decorator that checks them."""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import current_app, g, request

from survey_core.documents import Db
from survey_core.storage.client import get_db
from survey_core.web.errors import APIError

SCOPES = ("read", "write", "admin")
# What each scope grants: read pulls reports, write sends invitations (a contact-centre system),
# admin may do everything.
GRANTS = {"read": {"read"}, "write": {"write"}, "admin": {"read", "write", "admin"}}
F = TypeVar("F", bound=Callable[..., Any])
# How long a process trusts a key it found live without reading it again: a revoked key is
# refused by every process at most this long after its revocation.
KEY_CACHE_S = 1.0
KEY_CACHE_MAX = 1000  # distinct live keys held at once (a deployment has a handful)
KEY_CACHE = "voc.api_keys"


def hash_key(key: str) -> str:
    """SHA-256 is enough: keys are 256-bit random tokens, not passwords."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db: Db, name: str, scope: str) -> tuple[str, dict[str, Any]]:
    """A new key: returns the plain key (shown once) and the stored record (without secrets)."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    key = "voc_" + secrets.token_urlsafe(32)
    record = {
        "name": name,
        "scope": scope,
        "prefix": key[:12],
        "key_hash": hash_key(key),
        "created_at": datetime.now(UTC),
        "revoked_at": None,
    }
    db.api_keys.insert_one(record)
    record.pop("key_hash")
    return key, record


def list_keys(db: Db) -> list[dict[str, Any]]:
    """Every key's name, scope, prefix and dates; never the hash."""
    return list(db.api_keys.find({}, {"_id": 0, "key_hash": 0}).sort("created_at", 1))


def revoke_key(db: Db, prefix_or_name: str) -> int:
    """Revoke keys by prefix or name; returns how many were revoked."""
    result = db.api_keys.update_many(
        {"$or": [{"prefix": prefix_or_name}, {"name": prefix_or_name}], "revoked_at": None},
        {"$set": {"revoked_at": datetime.now(UTC)}},
    )
    return result.modified_count


def live_key(db: Db, key_hash: str) -> dict[str, Any] | None:
    """The unrevoked key whose hash is `key_hash`, or None: every check of a key reads it so
    (API requests, the dashboard's sign-in and each of its pages)."""
    record = db.api_keys.find_one({"key_hash": key_hash})
    return record if record is not None and record.get("revoked_at") is None else None


@dataclass
class KeyCache:
    """The live keys this process read in the last `ttl_s` seconds, by hash (per app). Only
    live keys are held: an unknown or revoked key is read every time, a new key works at once."""

    ttl_s: float = KEY_CACHE_S
    held: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def live(self, db: Db, key_hash: str) -> dict[str, Any] | None:
        """`live_key`, read at most once per `ttl_s` for a key found live."""
        now = time.monotonic()
        hit = self.held.get(key_hash)
        if hit is not None and now - hit[0] < self.ttl_s:
            return dict(hit[1])
        record = live_key(db, key_hash)
        if record is None:
            self.held.pop(key_hash, None)
            return None
        if len(self.held) >= KEY_CACHE_MAX:
            self.held.clear()
        self.held[key_hash] = (now, record)
        return dict(record)


def grants(record: Mapping[str, Any] | None, scope: str) -> bool:
    """Whether the key `record` grants `scope`."""
    return record is not None and scope in GRANTS.get(record.get("scope", ""), set())


def authenticate(
    db: Db, header: str | None, scope: str, cache: KeyCache | None = None
) -> dict[str, Any]:
    """The key record for an `Authorization: Bearer` header that grants `scope`, or APIError;
    with `cache`, a key found live in the last `cache.ttl_s` seconds is not read again."""
    scheme, _, key = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():  # the scheme is case-insensitive
        raise APIError(401, "unauthorized", "An API key is required: Authorization: Bearer <key>.")
    key_hash = hash_key(key.strip())
    record = cache.live(db, key_hash) if cache is not None else live_key(db, key_hash)
    if record is None:
        raise APIError(401, "unauthorized", "The API key is unknown or revoked.")
    if not grants(record, scope):
        raise APIError(403, "forbidden", f"This API key lacks the {scope!r} scope.")
    return record


def require_api_key(scope: str) -> Callable[[F], F]:
    """View decorator: 401 without a valid key, 403 when the key lacks `scope` (keys found live
    are trusted for KEY_CACHE_S seconds per process: see KeyCache)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cache = current_app.extensions.get(KEY_CACHE)
            if cache is None:
                cache = current_app.extensions.setdefault(KEY_CACHE, KeyCache())
            header = request.headers.get("Authorization")
            g.api_key = authenticate(get_db(), header, scope, cache)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
