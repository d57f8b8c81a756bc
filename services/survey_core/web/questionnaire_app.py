"""The app factory of a service that serves questionnaires behind links (web, training)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask
from flask_smorest import Blueprint as ApiBlueprint

from survey_core.settings import LinkSettings
from survey_core.web import pages
from survey_core.web.app import create_service_app
from survey_core.web.openapi import init_api
from survey_core.web.ratelimit import init_limiter, limit


def create_questionnaire_app(
    service: str,
    import_name: str,
    config: Mapping[str, Any] | None,
    settings_class: type[LinkSettings],
    *,
    survey: dict[str, Any],
    prefix: str,
    questionnaires: pages.Questionnaires,
    api_title: str,
    api_blueprints: Iterable[ApiBlueprint],
    public_blueprints: Iterable[ApiBlueprint],
) -> Flask:
    """`service`'s app: its default `survey`, its questionnaire pages at `/<prefix>/<token>`,
    its API, and the public request limit on the pages and on `public_blueprints` (what a
    respondent reaches without a key)."""
    app = create_service_app(service, import_name, [], config, settings_class, surveys=[survey])
    settings: LinkSettings = app.config["SETTINGS"]
    app.config["SECRET_KEY"] = settings.secret_key
    page_bp = pages.init_app(app, prefix, questionnaires)
    limiter = init_limiter(app, settings)
    init_api(app, api_title, api_blueprints)
    limit(limiter, settings.rate_limit_public, [page_bp, *public_blueprints])
    return app
