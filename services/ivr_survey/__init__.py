"""Twilio Voice webhooks that turn keypresses into survey answers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the IVR service; `config` overrides environment settings (tests)."""
    from ivr_survey import api, views
    from ivr_survey.spool import Spool, start_flusher
    from ivr_survey.store import apply, close_stale
    from survey_core.app import create_service_app
    from survey_core.mongo import database

    app = create_service_app("ivr_survey", __name__, [views.bp, api.bp], config)
    settings = app.config["SETTINGS"]
    spool = Spool(settings.spool_dir)
    app.extensions["ivr_spool"] = spool
    if settings.env != "test":
        every = float(os.environ.get("SPOOL_FLUSH_SECONDS", "10"))
        idle = float(os.environ.get("IVR_CALL_TIMEOUT_MINUTES", "30"))
        start_flusher(
            spool,
            lambda record: apply(database(settings), record),
            every,
            housekeeping=lambda: close_stale(database(settings), idle),
        )
    return app
