"""Types for the parts of flask-smorest that survey_core uses (the package ships none)."""

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Literal, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint as FlaskBlueprint
from flask import Flask
from marshmallow import Schema
from webargs.flaskparser import FlaskParser
from werkzeug.wrappers import Response

_F = TypeVar("_F", bound=Callable[..., Any])
_R = TypeVar("_R")
_Status = int | str | HTTPStatus
_SchemaArg = Schema | type[Schema] | str | dict[str, Any]

def __getattr__(name: str) -> Any: ...  # incomplete: abort, Page, ...

class Blueprint(FlaskBlueprint):
    ARGUMENTS_PARSER: FlaskParser
    def __init__(
        self, name: str, import_name: str, *args: Any, description: str | None = None, **kwargs: Any
    ) -> None: ...
    def route(
        self, rule: str, *, parameters: list[Any] | None = None, tags: list[str] | None = None,
        **options: Any
    ) -> Callable[[_F], _F]: ...
    @staticmethod
    def doc(**kwargs: Any) -> Callable[[_F], _F]: ...
    # The view receives the loaded arguments as one more positional argument.
    def arguments(
        self,
        schema: Schema | type[Schema],
        *,
        location: Literal[
            "json", "query", "querystring", "path", "form", "headers", "cookies", "files"
        ] = "json",
        content_type: str | None = None,
        required: bool = True,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Callable[[Callable[..., _R]], Callable[..., _R]]: ...
    # The view's return value is dumped with `schema` into a JSON response.
    def response(
        self,
        status_code: _Status,
        schema: _SchemaArg | None = None,
        *,
        content_type: str | None = None,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Response]]: ...
    def alt_response(
        self,
        status_code: _Status,
        response: str | None = None,
        *,
        schema: _SchemaArg | None = None,
        content_type: str | None = None,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        success: bool = False,
    ) -> Callable[[_F], _F]: ...

class Api:
    ERROR_SCHEMA: type[Schema]
    spec: APISpec | None
    ma_plugin: MarshmallowPlugin
    def __init__(
        self,
        app: Flask | None = None,
        *,
        spec_kwargs: Mapping[str, Any] | None = None,
        config_prefix: str = "",
    ) -> None: ...
    def init_app(self, app: Flask, *, spec_kwargs: Mapping[str, Any] | None = None) -> None: ...
    def register_blueprint(
        self, blp: Blueprint, *, parameters: list[Any] | None = None, **options: Any
    ) -> None: ...
