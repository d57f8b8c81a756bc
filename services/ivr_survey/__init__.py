"""Twilio Voice webhooks that turn keypresses into survey answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the IVR service; `config` overrides environment settings (tests)."""
    from ivr_survey import api, views
    from ivr_survey.default_survey import POST_CALL
    from ivr_survey.settings import IvrSettings
    from survey_core.responses.spool import Spool
    from survey_core.web.app import create_service_app

    app = create_service_app(
        "ivr_survey", __name__, [views.bp], config, IvrSettings, surveys=[POST_CALL]
    )
    # Writes that meet a database outage wait here; `surveyctl worker` replays them.
    app.extensions["ivr_spool"] = Spool(app.config["SETTINGS"].spool_dir)
    api.init_app(app)
    return app
