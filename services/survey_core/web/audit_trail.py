"""Audit every write made with an API key (and every CSV export): a Flask `after_request` step
that appends one record per such request, whatever its outcome (`survey_core.audit`), unless
the view stored it with its own write (`for_this_write`, then `stored_with_the_write`)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, request
from pymongo.errors import PyMongoError

from survey_core import audit
from survey_core.storage.breaker import DATABASE_DOWN, breaker
from survey_core.storage.client import get_db

log = logging.getLogger("voc.audit")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STORED = "voc_audit_stored"


def actor() -> str | None:
    """The name of the key this request was made with, if any."""
    key = g.get("api_key")
    return str(key.get("name")) if key else None


def _exported(response: Response) -> bool:
    return request.method == "GET" and response.mimetype == "text/csv"


def _target(response: Response) -> dict[str, Any]:
    target = {k: str(v) for k, v in (request.view_args or {}).items()}
    if response.is_json and request.method in WRITES:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            target["id"] = body["id"]
    return target


def record(
    action: str,
    target: dict[str, Any],
    outcome: int | str,
    via: str = "api",
    who: str | None = None,
) -> None:
    """Append a record for this request (by `who`, else the request's key); a trail that
    cannot be written is logged loudly."""
    who = who or actor()
    if who is None:
        return
    rec = audit.entry(who, action, target, g.get("request_id"), outcome, via)
    if outcome == 503 or breaker.is_open():
        # The database is out (the request was refused for it): no second wait for it here.
        log.warning("audit record not stored (database unavailable): %s %s", who, action)
        return
    try:
        audit.append(get_db(), rec)
    except PyMongoError as exc:
        if isinstance(exc, DATABASE_DOWN):
            breaker.trip(exc)
        log.error("audit record not stored (%s): %s %s", type(exc).__name__, who, action)


def for_this_write(target: dict[str, Any], outcome: int) -> dict[str, Any] | None:
    """The record the after-request step would append for this write (None without a key),
    for a view to store in its write's own transaction (one commit for both)."""
    who = actor()
    if who is None or request.url_rule is None:
        return None
    action = f"{request.method} {request.url_rule.rule}"
    return audit.entry(who, action, target, g.get("request_id"), outcome)


def stored_with_the_write() -> None:
    """The view's transaction committed this request's record: append no other."""
    g.setdefault(_STORED, True)


def _after(response: Response) -> Response:
    if actor() is None or request.url_rule is None or g.get(_STORED):
        return response
    if request.method in WRITES:
        action = f"{request.method} {request.url_rule.rule}"
    elif _exported(response):
        action = f"EXPORT {request.url_rule.rule}"
    else:
        return response
    record(action, _target(response), response.status_code)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_after)
