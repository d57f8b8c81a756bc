"""Questionnaires behind signed, single-use links, and a JSON API for widgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web service; `config` overrides environment settings (tests)."""
    from survey_core.web import pages
    from survey_core.web.app import create_service_app
    from survey_core.web.openapi import init_api
    from survey_core.web.ratelimit import init_limiter, limit
    from survey_core.web.surveys_api import bp as surveys_bp
    from web_survey import invitations_api, responses_api
    from web_survey.default_survey import POST_CONTACT
    from web_survey.service import QUESTIONNAIRES
    from web_survey.settings import WebSettings

    app = create_service_app(
        "web_survey", __name__, [], config, WebSettings, surveys=[POST_CONTACT]
    )
    settings: WebSettings = app.config["SETTINGS"]
    app.config["SECRET_KEY"] = settings.secret_key
    page_bp = pages.init_app(app, "s", QUESTIONNAIRES)
    limiter = init_limiter(app, settings)
    init_api(
        app,
        "Voice of Customer web survey API",
        [surveys_bp, invitations_api.bp, responses_api.bp],
    )
    limit(limiter, settings.rate_limit_public, [page_bp, responses_api.bp])
    return app
