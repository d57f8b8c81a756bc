"""OpenAPI 3 documents and Swagger UI for the services' JSON APIs, with one published Error.

`init_api` sets flask-smorest up the same way in every service: the document at
/api/v1/openapi.json, Swagger UI at /docs (served from the swagger-ui-bundle package, no CDN),
bearer-key security, and the Error component replaced by `ErrorSchema`, the shape that
`errors.error_response` actually sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import Blueprint, Flask, Response, abort, send_from_directory
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import RAISE, Schema, fields
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser

from survey_core.fields import DictKey, StrictDict, StrictString
from survey_core.web import errors

# Where /docs loads Swagger UI's scripts from, relative to /docs (so it works under a prefix).
SWAGGER_UI_ASSETS = "docs/assets/"
_SWAGGER_UI_FILES = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-16x16.png",
        "favicon-32x32.png",
    }
)


class FieldErrors(fields.Field[Any]):
    """A field's errors in an error body (answered, never read): messages or nested errors."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        raise self.make_error("invalid")


class ErrorSchema(Schema):
    """The body of every JSON error (see `survey_core.web.errors.error_response`)."""

    class Meta:
        unknown = RAISE  # published as additionalProperties: false: these keys and no others

    code = StrictString(
        required=True,
        metadata={
            "description": "Stable machine-readable error code.",
            "example": "validation_error",
        },
    )
    status = fields.Integer(
        required=True, metadata={"description": "The HTTP status code.", "example": 422}
    )
    message = StrictString(
        required=True,
        metadata={
            "description": "Human-readable explanation.",
            "example": "The request has invalid fields.",
        },
    )
    errors = StrictDict(
        keys=DictKey(),
        values=FieldErrors(),
        required=True,
        metadata={
            "description": "Field errors: field name -> list of messages, or a nested object "
            "of the same kind for nested fields. Empty when the error is not about fields.",
            "example": {"to": ["Not an E.164 number (e.g. +8613800138000)."]},
        },
    )
    request_id = StrictString(
        metadata={
            "description": "The request's id (also in the X-Request-ID header), when it has one.",
            "example": "6f1c0a7e2b9d4c1e8a3f5b7d9e0c2a4b",
        }
    )


class StrictParser(FlaskParser):
    """webargs' parser, refusing unknown query parameters (422) instead of dropping them: a
    misspelled filter (`agnet=A1`) must not answer the unfiltered totals as if filtered."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def __init__(self) -> None:
        super().__init__()
        self._schemas: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap: Any, req: Any) -> Schema:
        """One instance per schema class, not one per request (~80 us each): loading keeps
        no state in the instance."""
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            held = self._schemas.get(argmap)
            if held is None:
                held = self._schemas.setdefault(argmap, argmap())
            return held
        return super()._get_schema(argmap, req)


# Every flask-smorest blueprint parses with it: set before any service module decorates a view
# (they import this module first).
ApiBlueprint.ARGUMENTS_PARSER = StrictParser()

F = TypeVar("F", bound=Callable[..., Any])
# The errors of every endpoint that needs an API key.
AUTH_ERRORS = {
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the scope this endpoint needs.",
}
# What an endpoint that takes a JSON body may answer about it.
BODY_ERRORS = {
    400: "The body is not valid JSON.",
    422: "`validation_error`: `errors` names the fields.",
}


def public(blp: ApiBlueprint) -> Callable[[F], F]:
    """Document a view as needing no API key (a link's token is its credential), overriding
    the document's default bearer requirement."""
    return blp.doc(security=[])


def error_responses(blp: ApiBlueprint, descriptions: Mapping[int, str]) -> Callable[[F], F]:
    """Document a view's error responses, each an `ErrorSchema` body, listed by status.

    Put it above `@blp.response(...)` so the success response comes first in the document.
    """

    def decorator(view: F) -> F:
        for status in sorted(descriptions):  # the lowest first: flask-smorest keeps this order
            view = blp.alt_response(status, schema=ErrorSchema, description=descriptions[status])(
                view
            )
        return view

    return decorator


class VocApi(Api):
    """flask-smorest's Api with our Error schema in every documented error response."""

    ERROR_SCHEMA = ErrorSchema


def _swagger_ui_blueprint() -> Blueprint:
    """Swagger UI's scripts from the swagger-ui-bundle package (a dependency: no CDN)."""
    directory = str(swagger_ui_path)
    bp = Blueprint("swagger_ui_assets", __name__)

    @bp.get("/docs/assets/<path:filename>")
    def asset(filename: str) -> Response:
        if filename not in _SWAGGER_UI_FILES:
            abort(404)
        return send_from_directory(directory, filename, max_age=86400)

    return bp


def _nullable_reference(
    converter: OpenAPIConverter, field: fields.Field[Any], ret: dict[str, Any], **_: Any
) -> dict[str, Any]:
    """A nested schema that may be null, as OpenAPI 3.0 says it: `allOf: [$ref]` with
    `nullable: true`. apispec writes `anyOf: [$ref, {type: object, nullable: true}]`, whose
    second branch admits any object at all: a fuzzer then sends `{}` and is refused."""
    branches = ret.get("anyOf")
    if field.allow_none and branches and branches[-1] == {"type": "object", "nullable": True}:
        del ret["anyOf"]
        return {"allOf": branches[:-1], "nullable": True}
    return {}


def init_api(app: Flask, title: str, blueprints: Iterable[ApiBlueprint]) -> VocApi:
    """Publish `blueprints` (flask-smorest ones) with an OpenAPI document and Swagger UI."""
    assets = _swagger_ui_blueprint()
    options: dict[str, Any] = {
        "API_TITLE": title,
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "api/v1/openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_ASSETS,
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    }
    for key, value in options.items():
        app.config.setdefault(key, value)
    api = VocApi(app)
    # Api(app) has built the spec, and with it the plugin's converter.
    converter = cast(OpenAPIConverter, api.ma_plugin.converter)
    # apispec leaves add_attribute_function unannotated.
    converter.add_attribute_function(_nullable_reference)  # type: ignore[no-untyped-call]
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(assets)
    # flask-smorest installs its own HTTP error handler (another shape, and it drops Allow on
    # 405): ours again, so what is sent is what the Error component says.
    errors.register_error_handlers(app)
    return api
