"""Questionnaires behind signed, single-use links, and a JSON API for widgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web service; `config` overrides environment settings (tests)."""
    from survey_core.web.questionnaire_app import create_questionnaire_app
    from survey_core.web.surveys_api import bp as surveys_bp
    from web_survey import invitations_api, responses_api
    from web_survey.default_survey import POST_CONTACT
    from web_survey.service import QUESTIONNAIRES
    from web_survey.settings import WebSettings

    return create_questionnaire_app(
        "web_survey",
        __name__,
        config,
        WebSettings,
        survey=POST_CONTACT,
        prefix="s",
        questionnaires=QUESTIONNAIRES,
        api_title="Voice of Customer web survey API",
        api_blueprints=[surveys_bp, invitations_api.bp, responses_api.bp],
        public_blueprints=[responses_api.bp],
    )
