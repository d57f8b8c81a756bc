"""Read-only reporting: monthly CSAT, NPS, CES, breakdowns, funnel; OpenAPI and Swagger UI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the aggregator service; `config` overrides environment settings (tests)."""
    from flask_smorest import Api

    from aggregator import views
    from survey_core.web import errors
    from survey_core.web.app import create_service_app

    app = create_service_app("aggregator", __name__, [], config)
    app.config.update(
        API_TITLE="Voice of Customer reporting API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="api/v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    api = Api(app)
    api.register_blueprint(views.bp)
    # flask-smorest installs its own HTTP error handler (it drops Allow on 405): ours again.
    errors.register_error_handlers(app)
    return app
