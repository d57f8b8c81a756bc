"""Trainees evaluate training sessions and their trainers, anonymously, once each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the training service; `config` overrides environment settings (tests)."""
    from survey_core.training.closed import ClosedSessions
    from survey_core.web import pages
    from survey_core.web.app import create_service_app
    from survey_core.web.openapi import init_api
    from survey_core.web.ratelimit import init_limiter, limit
    from training_survey import api
    from training_survey.default_survey import TRAINING_EVALUATION
    from training_survey.service import CLOSED, QUESTIONNAIRES
    from training_survey.settings import TrainingSettings

    app = create_service_app(
        "training_survey", __name__, [], config, TrainingSettings, surveys=[TRAINING_EVALUATION]
    )
    settings: TrainingSettings = app.config["SETTINGS"]
    app.config["SECRET_KEY"] = settings.secret_key
    app.extensions[CLOSED] = ClosedSessions()
    page_bp = pages.init_app(app, "t", QUESTIONNAIRES)
    limiter = init_limiter(app, settings)
    init_api(app, "Voice of Customer training survey API", [api.bp, api.evaluations_bp])
    limit(limiter, settings.rate_limit_public, [page_bp, api.evaluations_bp])
    return app
