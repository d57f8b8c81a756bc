"""What every report endpoint is: the read scope, its query string, JSON or CSV, its errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask_smorest import Blueprint
from marshmallow import Schema

from aggregator.reports.csv_export import also_csv
from survey_core.web.auth import require_api_key
from survey_core.web.openapi import error_responses

F = TypeVar("F", bound=Callable[..., Any])

# What every report may answer besides 200, as documented in the OpenAPI document.
REPORT_ERRORS = {
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the read scope.",
    422: "`validation_error`: `errors` names the bad query parameters.",
    503: "`database_unavailable`: try again shortly (`Retry-After`).",
}


def report(
    bp: Blueprint,
    query: type[Schema] | Schema,
    response: type[Schema] | Schema,
    errors: Mapping[int, str] = REPORT_ERRORS,
    csv: bool = True,
) -> Callable[[F], F]:
    """A report view: a read key, `query` from the query string, `response` as JSON, or CSV
    too (`format=csv` or `Accept: text/csv`), `errors` documented."""

    def decorate(view: F) -> F:
        view = bp.response(200, response)(view)
        if csv:
            view = also_csv(bp)(view)
        view = error_responses(bp, dict(errors))(view)
        view = bp.arguments(query, location="query")(view)
        return require_api_key("read")(view)

    return decorate
