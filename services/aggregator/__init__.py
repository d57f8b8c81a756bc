"""Read-only reporting: monthly CSAT, NPS, CES, breakdowns, trainer ranking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the aggregator service; `config` overrides environment settings (tests)."""
    from aggregator.views import bp
    from survey_core.app import create_service_app

    return create_service_app("aggregator", __name__, [bp], config)
