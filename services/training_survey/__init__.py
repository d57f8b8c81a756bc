"""Trainees evaluate training sessions and their trainers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the training service; `config` overrides environment settings (tests)."""
    from survey_core.web.app import create_service_app
    from training_survey.views import bp

    return create_service_app("training_survey", __name__, [bp], config)
