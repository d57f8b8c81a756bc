"""The steps every service's app factory shares: settings, extensions, blueprints, errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_core import errors, health, mongo, observability
from survey_core.settings import Settings


def create_service_app(
    service: str,
    import_name: str,
    blueprints: Iterable[Blueprint],
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """A Flask app for `service` with health, JSON errors, request ids and the database wired."""
    settings = Settings.from_env(overrides=config)
    app = Flask(import_name)
    app.config.update(
        SETTINGS=settings,
        SERVICE_NAME=service,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        TESTING=settings.env == "test",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        # Behind N proxies, trust their X-Forwarded-* so request.url is the public URL.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    register_extensions(app, settings)
    register_blueprints(app, [health.bp, *blueprints])
    errors.register_error_handlers(app)
    if settings.env != "test":  # tests fold responses in explicitly (survey_core.roller.roll_up)
        from survey_core.roller import start_roller

        start_roller(lambda: mongo.database(settings))
    return app


def register_extensions(app: Flask, settings: Settings) -> None:
    observability.configure_logging(settings.log_level)
    observability.init_app(app)
    mongo.init_app(app)


def register_blueprints(app: Flask, blueprints: Iterable[Blueprint]) -> None:
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
