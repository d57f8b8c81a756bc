"""Twilio Voice webhooks that turn keypresses into survey answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the ivr service; `config` overrides environment settings (tests)."""
    from ivr_survey.views import bp
    from survey_core.app import create_service_app

    return create_service_app("ivr_survey", __name__, [bp], config)
