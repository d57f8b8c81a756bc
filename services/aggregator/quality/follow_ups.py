"""Close the loop: follow-ups of unhappy responses for team leads (read to list, write to
assign, move and reopen)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from survey_core import sealing
from survey_core.fields import DictKey, StrictDict, StrictString
from survey_core.follow_ups import store
from survey_core.responses import dimensions
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.errors import APIError
from survey_core.web.openapi import AUTH_ERRORS, error_responses

bp = Blueprint(
    "follow_ups",
    __name__,
    url_prefix="/api/v1",
    description="Follow-ups of unhappy responses: open -> contacted -> resolved (-> open again).",
)
_AUTH = AUTH_ERRORS
_TEXT = validate.Length(min=1, max=2000)


class FollowUpSchema(dimensions.schema_of(dimensions.CUSTOMER_DIMENSIONS, allow_none=True)):  # type: ignore[misc]
    id = StrictString(attribute="_id", metadata={"description": "The response's id."})
    interaction = StrictString()
    scores = StrictDict(keys=DictKey(), values=fields.Integer())
    low_score_reasons = StrictDict(
        keys=DictKey(),
        values=fields.List(StrictString()),
        metadata={
            "description": "The customer's reasons for each low score, by metric "
            '(e.g. {"csat": ["waiting"]}; [] when none was given). Not the contact\'s `reason`.'
        },
    )
    comment = StrictString(multiline=True, allow_none=True)
    status = StrictString()
    due_at = fields.DateTime()
    overdue = fields.Boolean()
    root_cause = StrictString(multiline=True)
    action_taken = StrictString(multiline=True)
    note = StrictString(multiline=True)
    assignee = StrictString()
    assigned_at = fields.DateTime()
    contacted_at = fields.DateTime()
    resolved_at = fields.DateTime()
    reopened_at = fields.DateTime()


class FollowUpListSchema(Schema):
    follow_ups = fields.List(fields.Nested(FollowUpSchema))


class FollowUpQuerySchema(
    dimensions.schema_of(dimensions.CUSTOMER_DIMENSIONS, validate=validate.Length(1, 128))  # type: ignore[misc]
):
    status = StrictString(validate=validate.OneOf(store.STEPS))
    overdue = fields.Boolean(metadata={"description": "true: not resolved and past due_at."})


class FollowUpChangeSchema(Schema):
    status = StrictString(
        validate=validate.OneOf(store.STEPS),
        metadata={"description": "`contacted`, `resolved`, or `open` to reopen a resolved one."},
    )
    assignee = StrictString(
        validate=validate.Length(1, 128), metadata={"description": "The person working it."}
    )
    root_cause = StrictString(multiline=True, validate=_TEXT)
    action_taken = StrictString(multiline=True, validate=_TEXT)
    note = StrictString(multiline=True, validate=_TEXT)

    @validates_schema
    def _something_to_do(self, data: dict[str, Any], **_: Any) -> None:
        if "status" not in data and "assignee" not in data:
            raise ValidationError("Give a status, an assignee or both.", "status")


def _shown(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    due = doc.get("due_at")
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    overdue = doc.get("status") != "resolved" and due is not None and due < now
    return {**doc, "comment": sealing.current().shown(doc.get("comment")), "overdue": overdue}


@bp.get("/follow-ups")
@require_api_key("read")
@bp.arguments(FollowUpQuerySchema, location="query")
@error_responses(bp, {**_AUTH, 422: "`validation_error`."})
@bp.response(200, FollowUpListSchema)
def list_follow_ups(query: dict[str, Any]) -> dict[str, Any]:
    """Follow-ups, soonest due first (at most 1,000); `overdue=true` for the overdue list."""
    now = datetime.now(UTC)
    filters = {k: query[k] for k in ("status", *dimensions.CUSTOMER) if k in query}
    found = store.listed(get_db(), filters, bool(query.get("overdue")), now)
    return {"follow_ups": [_shown(doc, now) for doc in found]}


@bp.patch("/follow-ups/<follow_up_id>")
@require_api_key("write")
@bp.arguments(FollowUpChangeSchema)
@error_responses(
    bp,
    {
        **_AUTH,
        400: "The body is not valid JSON.",
        404: "`follow_up_not_found`.",
        422: "`validation_error`: a move `store.MOVES` forbids, resolving without a root cause "
        "and an action, assigning a resolved one, or a concurrent change.",
    },
)
@bp.response(200, FollowUpSchema)
def move_follow_up(body: dict[str, Any], follow_up_id: str) -> dict[str, Any]:
    """Assign it to a person, record contact with the customer or the resolution (root cause
    and action taken), or reopen a resolved one; one function for this and the dashboard."""
    try:
        doc = store.move(get_db(), follow_up_id, body, g.api_key.get("name"))
    except LookupError:
        raise APIError(404, "follow_up_not_found", "There is no such follow-up.") from None
    except store.BadStep as exc:
        raise APIError(
            422, "validation_error", "The request has invalid fields.", exc.errors
        ) from None
    return _shown(doc, datetime.now(UTC))
