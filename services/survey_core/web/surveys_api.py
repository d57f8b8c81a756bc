"""The survey definitions API (admin scope), served by the IVR and the web survey services.

Editing a survey publishes a new version; a response keeps the version it answered, so a report
of last month is not changed by this month's edit.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from pymongo import ASCENDING

from survey_core.fields import StrictString
from survey_core.storage.client import get_db
from survey_core.surveys.definitions import channels_of, get_survey, publish_survey
from survey_core.surveys.schema import SurveySchema
from survey_core.web.auth import require_api_key
from survey_core.web.errors import APIError
from survey_core.web.openapi import error_responses

bp = Blueprint(
    "surveys",
    __name__,
    url_prefix="/api/v1",
    description="Survey definitions: questions, languages, channels, versions (admin scope).",
)

_AUTH = {
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the admin scope.",
}
_BODY = {
    400: "The body is not valid JSON.",
    422: "`validation_error`: `errors` names each bad field, e.g. "
    '`{"questions": {"2": {"scale": ["A csat question is scored 1-5."]}}}`.',
}


class StoredSurveySchema(SurveySchema):
    """A published version of a survey."""

    version = fields.Integer(metadata={"description": "1 for the first version, then +1."})
    created_at = fields.DateTime()


class SurveyListSchema(Schema):
    surveys = fields.List(fields.Nested(StoredSurveySchema))


class VersionQuerySchema(Schema):
    version = fields.Integer(validate=validate.Range(1, 1_000_000))  # a query string: "2" is 2


class SurveyUpdateSchema(SurveySchema):
    """A new version's definition; `slug` may be left out (it is the path's)."""

    slug = StrictString(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,47}\Z"))


def _shown(survey: dict[str, Any]) -> dict[str, Any]:
    return {**survey, "channels": channels_of(survey)}


def _found(slug: str, version: int | None = None) -> dict[str, Any]:
    survey = get_survey(get_db(), slug, version)
    if survey is None:
        which = f"version {version} of " if version else ""
        raise APIError(404, "survey_not_found", f"There is no {which}survey {slug!r}.")
    return _shown(survey)


@bp.get("/surveys")
@require_api_key("admin")
@error_responses(bp, _AUTH)
@bp.response(200, SurveyListSchema)
def list_surveys() -> dict[str, Any]:
    """The latest version of every survey."""
    latest: dict[str, dict[str, Any]] = {}
    for survey in get_db().surveys.find({}, {"_id": 0}).sort([("slug", ASCENDING)]):
        if survey["version"] > latest.get(survey["slug"], {"version": 0})["version"]:
            latest[survey["slug"]] = survey
    return {"surveys": [_shown(s) for s in latest.values()]}


@bp.post("/surveys")
@require_api_key("admin")
@bp.arguments(SurveySchema)
@error_responses(bp, {**_AUTH, **_BODY, 409: "`survey_exists`: use PUT to edit it."})
@bp.response(201, StoredSurveySchema)
def create_survey(body: dict[str, Any]) -> dict[str, Any]:
    """Publish a new survey as its version 1."""
    db = get_db()
    if get_survey(db, body["slug"]) is not None:
        raise APIError(409, "survey_exists", f"Survey {body['slug']!r} exists; PUT edits it.")
    return _shown(publish_survey(db, body))


@bp.get("/surveys/<slug>")
@require_api_key("admin")
@bp.arguments(VersionQuerySchema, location="query")
@error_responses(bp, {**_AUTH, 404: "`survey_not_found`.", 422: "`validation_error`."})
@bp.response(200, StoredSurveySchema)
def read_survey(query: dict[str, Any], slug: str) -> dict[str, Any]:
    """A survey's latest version, or the one `version` names."""
    return _found(slug, query.get("version"))


@bp.put("/surveys/<slug>")
@require_api_key("admin")
@bp.arguments(SurveyUpdateSchema)
@error_responses(bp, {**_AUTH, **_BODY, 404: "`survey_not_found`: POST creates a survey."})
@bp.response(200, StoredSurveySchema)
def update_survey(body: dict[str, Any], slug: str) -> dict[str, Any]:
    """Publish an edit as the next version (unchanged definitions keep their version)."""
    if body.get("slug", slug) != slug:
        raise APIError(
            422,
            "validation_error",
            "The request has invalid fields.",
            {"slug": ["Must be the slug in the path."]},
        )
    _found(slug)
    return _shown(publish_survey(get_db(), {**body, "slug": slug}))
