"""Trainees evaluate training sessions and their trainers, anonymously, once each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the training service; `config` overrides environment settings (tests)."""
    from survey_core.training.closed import ClosedSessions
    from survey_core.web.questionnaire_app import create_questionnaire_app
    from training_survey import api
    from training_survey.default_survey import TRAINING_EVALUATION
    from training_survey.service import CLOSED, QUESTIONNAIRES
    from training_survey.settings import TrainingSettings

    app = create_questionnaire_app(
        "training_survey",
        __name__,
        config,
        TrainingSettings,
        survey=TRAINING_EVALUATION,
        prefix="t",
        questionnaires=QUESTIONNAIRES,
        api_title="Voice of Customer training survey API",
        api_blueprints=[api.bp, api.evaluations_bp],
        public_blueprints=[api.evaluations_bp],
    )
    app.extensions[CLOSED] = ClosedSessions()
    return app
