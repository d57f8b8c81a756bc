"""The steps every service's app factory shares: settings, extensions, blueprints, errors.

A factory wires things and starts nothing: background work (folding events, replaying the
spool, settling idle calls) belongs to the worker process, `surveyctl worker`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from marshmallow import ValidationError
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_core.fields import StrictString, storable
from survey_core.settings import Settings
from survey_core.storage import client
from survey_core.web import audit_trail, context, errors, health, metrics, observability


def create_service_app(
    service: str,
    import_name: str,
    blueprints: Iterable[Blueprint],
    config: Mapping[str, Any] | None = None,
    settings_class: type[Settings] = Settings,
    surveys: Iterable[dict[str, Any]] = (),
) -> Flask:
    """A Flask app for `service` with health, JSON errors, request ids and the database wired;
    `surveys` are the service's default survey definitions, built into its catalog."""
    settings = settings_class.from_env(overrides=config)
    app = Flask(import_name)
    app.config.update(
        SETTINGS=settings,
        SERVICE_NAME=service,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        TESTING=settings.env == "test",
    )
    app.session_interface = SessionSignedOnce()
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        # Behind N proxies, trust their X-Forwarded-* so request.url is the public URL.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    register_extensions(app, settings)
    context.init_catalog(app, surveys)
    register_blueprints(app, [health.bp, *blueprints])
    app.url_value_preprocessor(check_path_values)
    errors.register_error_handlers(app)
    return app


class SessionSignedOnce(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signer built once per secret: Flask builds one on
    every request (~20 us), whether or not the request has or needs a session."""

    _signers: dict[tuple[Any, ...], URLSafeTimedSerializer | None]

    def __init__(self) -> None:
        self._signers = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
        key = (app.secret_key, fallbacks)
        if key not in self._signers:
            self._signers[key] = super().get_signing_serializer(app)
        return self._signers[key]


def register_extensions(app: Flask, settings: Settings) -> None:
    observability.configure_logging(settings.log_level)
    observability.init_app(app)
    metrics.init_app(app)
    client.init_app(app)
    audit_trail.init_app(app)


def register_blueprints(app: Flask, blueprints: Iterable[Blueprint]) -> None:
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


# Path values read otherwise than as ids of stored records: a link's signed token, a file name.
_NOT_IDS = frozenset({"token", "filename"})


def check_path_values(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Ids in the URL (`<slug>`, `<alert_id>`, ...) reach queries: each must be a name a
    StrictString takes, else the request is a 422 naming it."""
    bad = {
        name: [StrictString.default_error_messages["not_a_name"]]
        for name, value in (values or {}).items()
        if name not in _NOT_IDS and isinstance(value, str) and not storable(value)
    }
    if bad:
        raise ValidationError(bad)


def public_base() -> str:
    """PUBLIC_BASE_URL, or this request's scheme and host (as fixed by trusted proxies).

    request.host_url costs ~40 us, so it is read only when no base is configured.
    """
    settings: Settings = current_app.config["SETTINGS"]
    return settings.public_base_url or request.host_url.rstrip("/")
