"""Per-client-address rate limits (Flask-Limiter) counted in our own MongoDB.

The counters live in the service's database, so every gunicorn worker and every host shares
them. limits' MongoDB storage would open a client of its own per app (and wait for it to find
the server); this one hands it the process's pooled client, with its bounded timeouts. While
the database is down the limits lapse (RATELIMIT_SWALLOW_ERRORS) rather than shut people out.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MongoDBStorage
from pymongo import MongoClient

from survey_core.settings import Settings
from survey_core.storage.client import get_client

SCHEME = "voc+"


class PooledMongoDBStorage(MongoDBStorage):
    """limits' MongoDB storage on `survey_core.storage.client`'s client for the URI."""

    STORAGE_SCHEME = ["voc+mongodb", "voc+mongodb+srv"]

    def _init_mongo_client(self, uri: str | None, **options: int | str | bool) -> MongoClient:
        timeout = int(options.get("serverSelectionTimeoutMS", 2500))
        return get_client(str(uri).removeprefix(SCHEME), timeout)

    def __del__(self) -> None:
        """The client is shared: it is not this storage's to close."""


def init_limiter(app: Flask, settings: Settings, storage_uri: str | None = None) -> Limiter:
    """A limiter for `app`, counting in `storage_uri` (default: the service's database)."""
    app.config.update(
        RATELIMIT_STORAGE_URI=storage_uri or SCHEME + settings.mongo_uri,
        RATELIMIT_STORAGE_OPTIONS={
            "database_name": settings.mongo_db,
            "counter_collection_name": "rate_limit_counters",
            "window_collection_name": "rate_limit_windows",
            "serverSelectionTimeoutMS": settings.db_timeout_ms,
        },
        RATELIMIT_SWALLOW_ERRORS=True,
        # X-RateLimit-* headers cost two more reads of the counter per request; 429 answers
        # carry Retry-After all the same.
        RATELIMIT_HEADERS_ENABLED=False,
    )
    return Limiter(get_remote_address, app=app, default_limits=[])


def limit(limiter: Limiter, rate: str, blueprints: Iterable[Blueprint]) -> None:
    """Apply `rate` (e.g. "120/minute;2000/hour") to every route of `blueprints`."""
    for blueprint in blueprints:
        limiter.limit(rate)(blueprint)
