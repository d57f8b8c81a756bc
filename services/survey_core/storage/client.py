"""MongoDB access: one lazily created MongoClient per process and URI, short timeouts, and
one deadline for all of a request's database work."""

from __future__ import annotations

import threading

import pymongo
from flask import Flask, current_app, g
from pymongo import MongoClient

from survey_core.documents import Db, Document
from survey_core.settings import Settings
from survey_core.storage.breaker import breaker

_clients: dict[tuple[str, int, bool], MongoClient[Document]] = {}
# A Database handle per client and name: pymongo builds a new one (~10 us) on each `client[name]`.
_databases: dict[tuple[int, str], Db] = {}
_lock = threading.Lock()


def get_client(
    uri: str, timeout_ms: int = 2500, retry_writes: bool = False
) -> MongoClient[Document]:
    """The process-wide client for `uri`; created on first use, after gunicorn has forked.

    pymongo waits 30 s by default for a server; a webhook must answer within Twilio's 15 s, so
    every wait here is bounded by `timeout_ms` (server selection, connect, and whole operations).
    Retryable writes are off by default (MONGO_RETRY_WRITES): every write we make is an insert
    under a deterministic `_id` or a transaction we retry ourselves, so a driver retry adds no
    safety, and the embedded database slows ninefold after ~10k retryable writes.
    """
    key = (uri, timeout_ms, retry_writes)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = MongoClient(
                    uri,
                    connect=False,
                    w="majority",
                    retryWrites=retry_writes,
                    retryReads=True,
                    serverSelectionTimeoutMS=timeout_ms,
                    connectTimeoutMS=timeout_ms,
                    socketTimeoutMS=timeout_ms + 1000,
                    tz_aware=True,
                    appname="voice-of-customer",
                )
                _clients[key] = client
    return client


def database(settings: Settings, timeout_ms: int | None = None) -> Db:
    """The configured database, outside a request (CLI, worker, scripts)."""
    client = get_client(
        settings.mongo_uri, timeout_ms or settings.db_timeout_ms, settings.mongo_retry_writes
    )
    handle = _databases.get((id(client), settings.mongo_db))
    if handle is None or handle.client is not client:  # new, or an id a closed client had
        handle = _databases[(id(client), settings.mongo_db)] = client[settings.mongo_db]
    return handle


def init_app(app: Flask) -> None:
    """Remember which database the app talks to (the connection itself is made lazily), and
    give every request one database deadline."""
    app.extensions["voc_settings"] = app.config["SETTINGS"]
    app.before_request(_start_deadline)
    app.teardown_request(_end_deadline)


def _start_deadline() -> None:
    """Every database operation of this request, retries, server selection, connection
    checkout and handshakes included, shares one deadline of DB_TIMEOUT_MS (pymongo's
    client-side operation timeout). Per-operation timeouts alone let a stalled server (a
    stopped process: connections open, no answers) hold a request for a socket timeout, then
    a retry's server selection, then the next operation's: 5-8 s in all."""
    settings: Settings = current_app.extensions["voc_settings"]
    deadline = pymongo.timeout(settings.db_timeout_ms / 1000)
    deadline.__enter__()
    g.voc_db_deadline = deadline


def _end_deadline(_exc: BaseException | None) -> None:
    deadline = g.pop("voc_db_deadline", None)
    if deadline is not None:
        deadline.__exit__(None, None, None)


def get_db(fail_fast: bool = True) -> Db:
    """The app's database inside a request.

    While the outage breaker is open this raises at once (a 503 without the wait), unless
    `fail_fast` is off: a caller that rides out outages itself (the IVR, with its cached
    surveys and its spool) still gets the handle.
    """
    if fail_fast:
        breaker.check()
    return database(current_app.extensions["voc_settings"])


def close_all() -> None:
    """Close every client of this process (tests, CLI exit)."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
