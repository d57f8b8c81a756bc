"""Questionnaires behind signed, single-use links, and a JSON API for widgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web service; `config` overrides environment settings (tests)."""
    from survey_core.web.app import create_service_app
    from web_survey.views import bp

    return create_service_app("web_survey", __name__, [bp], config)
