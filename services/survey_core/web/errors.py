"""One JSON error shape for every service: {code, status, message, errors}."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, g, jsonify
from marshmallow import ValidationError
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException

from survey_core.reports.snapshot import ReportsUnstable
from survey_core.storage.breaker import DATABASE_DOWN, breaker

log = logging.getLogger("voc.errors")
_SURROGATE = re.compile("[\ud800-\udfff]")


class APIError(Exception):
    """A domain error with the HTTP status and stable code it maps to at the edge."""

    def __init__(
        self, status: int, code: str, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}


def error_body(
    status: int,
    code: str,
    message: str,
    errors: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The JSON error shape itself: what the apps answer and what gunicorn's worker answers
    for the requests it refuses before any app sees them (gunicorn_worker)."""
    body = {"code": code, "status": status, "message": message, "errors": _encodable(errors or {})}
    if request_id:
        body["request_id"] = request_id
    return body


def _encodable(value: Any) -> Any:
    """Field errors keyed by what the client sent: a lone surrogate in a key (`{"\\ud800": 1}` is
    an unknown field) becomes U+FFFD, so the error itself can be encoded as UTF-8."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


def error_response(
    status: int, code: str, message: str, errors: dict[str, Any] | None = None
) -> Response:
    """The JSON error response every service uses."""
    request_id = g.get("request_id") if g else None
    response = jsonify(error_body(status, code, message, errors, request_id))
    response.status_code = status
    return response


def _code_for(exc: HTTPException) -> str:
    name = (exc.name or "error").lower()
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def _field_errors(exc: HTTPException) -> dict[str, Any] | None:
    """webargs (flask-smorest) puts field errors under data.messages, keyed by location."""
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in ("query", "json", "form", "view_args", "headers") and isinstance(
            inner, dict
        ):
            return inner
    return messages


def handle_http_exception(exc: HTTPException) -> Response:
    """404, 405, 413, 400 (malformed JSON) and friends as JSON, keeping Allow on 405."""
    status = exc.code or 500
    errors = _field_errors(exc)
    if status == 422:
        response = error_response(
            422, "validation_error", "The request has invalid fields.", errors
        )
    else:
        response = error_response(status, _code_for(exc), exc.description or exc.name, errors)
    for name, value in exc.get_headers():
        if name.lower() in ("allow", "www-authenticate", "retry-after"):
            response.headers[name] = value
    return response


def handle_validation_error(exc: ValidationError) -> Response:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return error_response(422, "validation_error", "The request has invalid fields.", messages)


def handle_api_error(exc: APIError) -> Response:
    response = error_response(exc.status, exc.code, exc.message, exc.errors)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="voice-of-customer"'
    return response


def handle_database_error(exc: PyMongoError) -> Response:
    from survey_core.web.metrics import count_database_error

    count_database_error(type(exc).__name__)
    if isinstance(exc, DATABASE_DOWN):
        breaker.trip(exc)  # the next requests fail at once instead of waiting in turn
        log.warning("database unavailable: %s", type(exc).__name__)
        response = error_response(
            503, "database_unavailable", "The database is not reachable; try again shortly."
        )
        response.headers["Retry-After"] = "5"
        return response
    return handle_unexpected(exc)


def handle_reports_unstable(exc: ReportsUnstable) -> Response:
    """The folding worker committed during every read of a report (a busy moment, or a slow
    database): nothing was wrong with the request, so a 503 that says when to come back."""
    log.warning("report not read: %s", exc)
    response = error_response(
        503, "reports_busy", "The figures were being updated; try again in a moment."
    )
    response.headers["Retry-After"] = "1"
    return response


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    if isinstance(exc, RecursionError):  # a JSON body nested too deep for the parser
        return error_response(400, "bad_request", "The body is nested too deeply.")
    log.exception("unhandled error")
    return error_response(500, "internal_error", "An unexpected error occurred.")


# Errors the client caused: answered as JSON even where other errors are answered otherwise.
CLIENT_ERRORS = (APIError, ValidationError, HTTPException)


def json_error(exc: Exception) -> Response:
    """The JSON error response of any exception: what the handlers below answer."""
    if isinstance(exc, APIError):
        return handle_api_error(exc)
    if isinstance(exc, ValidationError):
        return handle_validation_error(exc)
    if isinstance(exc, PyMongoError):
        return handle_database_error(exc)
    return handle_unexpected(exc)


def register_error_handlers(app: Flask) -> None:
    """Route every error of the app to the JSON shape above."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(PyMongoError, handle_database_error)
    app.register_error_handler(ReportsUnstable, handle_reports_unstable)
    app.register_error_handler(Exception, handle_unexpected)
