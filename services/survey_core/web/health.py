"""Liveness (/healthz) and readiness (/readyz: the database answers a ping)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from pymongo.errors import PyMongoError

from survey_core.storage.client import get_db
from survey_core.web.errors import error_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive; says nothing about the database."""
    return jsonify(status="ok", service=current_app.config["SERVICE_NAME"])


@bp.get("/readyz")
def readyz() -> Response:
    """Ready when the database answers a ping within the configured timeout."""
    try:
        get_db().command("ping")
    except PyMongoError as exc:
        response = error_response(
            503, "database_unavailable", f"The database did not answer: {type(exc).__name__}."
        )
        response.headers["Retry-After"] = "5"
        return response
    return jsonify(status="ready", service=current_app.config["SERVICE_NAME"])
