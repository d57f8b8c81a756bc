"""Per-address request limits (Flask-Limiter), counted per service, never in MongoDB.

Counters live in `RATE_LIMIT_STORAGE_URI`: `memory://` by default (each gunicorn worker counts
for itself), Redis where several processes or hosts must share them. Each limit is one counter
per client address and service (the service's name is its scope), so traffic on one service
never uses up another's limit even when they share a Redis. Every 429 carries `Retry-After`.
While the storage is unreachable the limits lapse (RATELIMIT_SWALLOW_ERRORS) rather than shut
people out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, current_app, g
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits.errors import ConfigurationError

from survey_core.settings import ConfigError, LimitedSettings
from survey_core.web import memory_limits  # noqa: F401 - `memory://` without timer threads

# What a 429 says when no limit told us when its window resets (never less than a second).
DEFAULT_RETRY_AFTER_S = 60


def _remember_reset(limit: RequestLimit) -> None:
    """on_breach: keep when the breached window resets, for the 429's Retry-After."""
    try:
        wait = math.ceil(limit.reset_at - time.time())
    except Exception:  # the storage went away between the hit and this read
        wait = DEFAULT_RETRY_AFTER_S
    g.retry_after = max(1, wait, int(g.get("retry_after", 0)))


def _retry_after(response: Response) -> Response:
    """Every 429, JSON or HTML, says when to come back."""
    if response.status_code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(g.get("retry_after") or DEFAULT_RETRY_AFTER_S)
    return response


def init_limiter(app: Flask, settings: LimitedSettings) -> Limiter:
    """A limiter for `app`, counting in RATE_LIMIT_STORAGE_URI, with Retry-After on 429s."""
    app.config.update(
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_uri,
        RATELIMIT_SWALLOW_ERRORS=True,
        # X-RateLimit-* headers cost two more reads of the counter per request; 429 answers
        # carry Retry-After all the same (set here, from the breached window).
        RATELIMIT_HEADERS_ENABLED=False,
    )
    app.after_request(_retry_after)
    try:
        return Limiter(get_remote_address, app=app, default_limits=[], on_breach=_remember_reset)
    except ConfigurationError as exc:  # an unknown scheme, or redis:// without its package
        raise ConfigError(f"RATE_LIMIT_STORAGE_URI: {exc}") from None


def scope(name: str = "") -> str:
    """The counter scope of this service (and of `name` inside it, e.g. "sign-in")."""
    service = str(current_app.config.get("SERVICE_NAME", ""))
    return f"{service}:{name}" if name else service


def limit(limiter: Limiter, rate: str, blueprints: Iterable[Blueprint]) -> None:
    """Apply `rate` (e.g. "120/minute;2000/hour") to every route of `blueprints`: one counter
    per client address for all of them together, scoped by the service's name."""
    shared = limiter.shared_limit(rate, scope=lambda _endpoint: scope())
    for blueprint in blueprints:
        shared(blueprint)


def limit_view(limiter: Limiter, rate: str, name: str, endpoint: str, methods: list[str]) -> None:
    """Apply `rate` to the view of `endpoint` (e.g. a sign-in form's POST), counted per client
    address under the scope `<service>:<name>`."""
    app = limiter.app
    assert app is not None, "the limiter is bound to its app"
    view = app.view_functions[endpoint]
    limited = limiter.shared_limit(rate, scope=lambda _endpoint: scope(name), methods=methods)
    app.view_functions[endpoint] = limited(view)  # type: ignore[assignment]  # a view still
