"""The audit trail over REST (admin scope): read-only; no endpoint changes or removes a record."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from survey_core import audit
from survey_core.fields import DictKey, Instant, StrictDict, StrictString
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.openapi import AUTH_ERRORS, error_responses

bp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1",
    description="Who changed what, when: every write made with an API key or the dashboard.",
)
_OBJECT_ID = r"^[0-9a-f]{24}\Z"


class AuditQuerySchema(Schema):
    actor = StrictString(validate=validate.Length(min=1, max=128))
    action = StrictString(
        validate=validate.Length(min=1, max=256),
        metadata={"description": "Exact, e.g. `PUT /api/v1/surveys/<slug>`."},
    )
    since = Instant(metadata={"description": "From this time (inclusive)."})
    until = Instant(metadata={"description": "Before this time."})
    before = StrictString(
        validate=validate.Regexp(_OBJECT_ID),
        metadata={"description": "The `id` of the last record of the previous page."},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, audit.PAGE_MAX))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if "since" in data and "until" in data and data["since"] >= data["until"]:
            raise ValidationError("`until` must come after `since`.", "until")


class Outcome(fields.Field):
    """An audit record's outcome: an HTTP status (100-599), or `ok` / `failed`."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value in ("ok", "failed") or (
            type(value) is int and 100 <= value <= 599  # noqa: E721 - True is no status
        ):
            return value
        raise self.make_error("invalid")


class AuditRecordSchema(Schema):
    id = fields.Function(lambda r: str(r["_id"]))
    at = fields.DateTime()
    actor = StrictString()
    via = StrictString(metadata={"description": "`api`, `dashboard` or `cli`."})
    action = StrictString()
    target = StrictDict(keys=DictKey(), values=StrictString())
    request_id = StrictString(allow_none=True)
    outcome = Outcome(metadata={"description": "The HTTP status, or `ok` / `failed`."})


class AuditPageSchema(Schema):
    records = fields.List(fields.Nested(AuditRecordSchema))
    next_before = StrictString(
        allow_none=True, metadata={"description": "Pass as `before` for the next page."}
    )


@bp.get("/audit")
@require_api_key("admin")
@bp.arguments(AuditQuerySchema, location="query")
@error_responses(bp, {**AUTH_ERRORS, 422: "`validation_error`."})
@bp.response(200, AuditPageSchema)
def read_audit(query: dict[str, Any]) -> dict[str, Any]:
    """Audit records, newest first, filtered by actor, action and time; paged with `before`."""
    records = audit.search(get_db(), **query)
    full = len(records) == query["limit"]
    return {"records": records, "next_before": str(records[-1]["_id"]) if full else None}
