"""Reporting (monthly CSAT, NPS, CES, breakdowns, funnel, trainers), quality management
(complaints, alerts, follow-ups, calibration), the dashboard; OpenAPI and Swagger UI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the aggregator service; `config` overrides environment settings (tests)."""
    from aggregator import (
        audit_api,
        complaints,
        dashboard,
        follow_ups,
        privacy_api,
        quality,
        quality_reports,
        reasons_api,
        trainers,
        views,
    )
    from aggregator.settings import AggregatorSettings
    from survey_core.web.app import create_service_app
    from survey_core.web.openapi import init_api
    from survey_core.web.ratelimit import init_limiter, limit_view

    app = create_service_app("aggregator", __name__, [], config, AggregatorSettings)
    init_api(
        app,
        "Voice of Customer reporting API",
        [
            views.bp,
            trainers.bp,
            complaints.bp,
            follow_ups.bp,
            quality.bp,
            quality_reports.bp,
            audit_api.bp,
            privacy_api.bp,
            reasons_api.bp,
        ],
    )
    dashboard.init_app(app)
    settings: AggregatorSettings = app.config["SETTINGS"]
    limiter = init_limiter(app, settings)
    limit_view(limiter, settings.rate_limit_sign_in, "sign-in", "dashboard.sign_in", ["POST"])
    # The escalation rules as this process last read them (complaints check their version).
    app.extensions["voc.rule_book"] = complaints.store.RuleBook()
    return app
