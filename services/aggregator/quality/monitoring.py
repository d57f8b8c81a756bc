"""Quality management in (write scope, each idempotent): monitor scores, agents' self-ratings,
thank-you letters. The reports on them are `quality_reports`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from survey_core import keys, sealing
from survey_core.fields import Instant, StrictFloat, StrictString
from survey_core.keys import monitor_score_id
from survey_core.monitoring import store
from survey_core.months import month_of
from survey_core.responses.events import response_id
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.openapi import AUTH_ERRORS, BODY_ERRORS, error_responses

bp = Blueprint(
    "quality",
    __name__,
    url_prefix="/api/v1",
    description="Monitor scores, self-ratings, thanks and the calibration report.",
)
_BODY = BODY_ERRORS
_ID = validate.Length(min=1, max=128)


class ItemSchema(Schema):
    key = StrictString(required=True, validate=_ID)
    score = StrictFloat(required=True, validate=validate.Range(min=0))
    max = StrictFloat(
        required=True,
        validate=validate.Range(min=0, min_inclusive=False),
        metadata={"exclusiveMinimum": True},
    )
    weight = StrictFloat(
        load_default=1.0,
        validate=validate.Range(min=0, min_inclusive=False),
        metadata={"exclusiveMinimum": True},
    )

    @validates_schema
    def _within(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("score", 0) > data.get("max", 0):
            raise ValidationError("The score exceeds the item's maximum.", "score")


class FormSchema(Schema):
    """The monitoring form a score was given on."""

    class Meta:
        unknown = RAISE

    id = StrictString(required=True, validate=_ID)
    version = fields.Integer(strict=True, validate=validate.Range(0, 2**31 - 1))


class ContactMixin(Schema):
    interaction_id = StrictString(required=True, validate=_ID)
    channel = StrictString(required=True, validate=_ID)
    agent = StrictString(required=True, validate=_ID)
    team = StrictString(load_default=None, validate=_ID)


class MonitorScoreSchema(ContactMixin):
    monitor_id = StrictString(required=True, validate=_ID)
    scored_at = Instant(required=True)
    form = fields.Nested(FormSchema, required=True, metadata={"description": "The form used."})
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1))
    comment = StrictString(multiline=True, load_default=None, validate=validate.Length(max=2000))
    total = fields.Float(dump_only=True, metadata={"description": "weighted items on 0-100"})


class AgentRatingSchema(ContactMixin):
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(1, 5))
    rated_at = Instant(required=True)


class ThanksSchema(Schema):
    source = StrictString(required=True, validate=_ID)
    source_id = StrictString(required=True, validate=_ID)
    agent = StrictString(required=True, validate=_ID)
    team = StrictString(load_default=None, validate=_ID)
    received_at = Instant(required=True)


class StoredSchema(Schema):
    id = StrictString(attribute="_id")
    created = fields.Boolean()
    total = fields.Float()


def _store(
    collection: store.Collection, doc: dict[str, Any], moment: datetime
) -> tuple[dict[str, Any], int]:
    doc["month"] = month_of(moment, current_app.config["SETTINGS"].tz)
    stored, created = store.store(get_db(), collection, doc)  # a re-post: nothing changes
    return {**stored, "created": created}, 201 if created else 200


def thanks_id(source: str, source_id: str) -> str:
    """One letter per source and its id there (`survey_core.keys`: the source escaped)."""
    return keys.encode([source, source_id], ":", tail=True)


def total_of(items: list[dict[str, Any]]) -> float:
    """A form's weighted item scores on 0-100."""
    weight = sum(i["weight"] for i in items)
    return 100 * sum(i["weight"] * i["score"] / i["max"] for i in items) / weight


@bp.post("/monitor-scores")
@require_api_key("write")
@bp.arguments(MonitorScoreSchema)
@error_responses(bp, {**AUTH_ERRORS, **_BODY})
@bp.response(201, StoredSchema)
@bp.alt_response(200, schema=StoredSchema, description="Already recorded: nothing new.")
def monitor_score(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A QA monitor's score of one contact (idempotent per monitor and contact)."""
    rid = response_id(body["channel"], body["interaction_id"])
    doc = {
        "_id": monitor_score_id(body["monitor_id"], rid),
        "rid": rid,
        **body,
        "comment": sealing.current().seal(body.get("comment")),  # free text: sealed at rest
        "total": total_of(body["items"]),
    }
    return _store("monitor_scores", doc, body["scored_at"])


@bp.post("/agent-ratings")
@require_api_key("write")
@bp.arguments(AgentRatingSchema)
@error_responses(bp, {**AUTH_ERRORS, **_BODY})
@bp.response(201, StoredSchema)
@bp.alt_response(200, schema=StoredSchema, description="Already recorded: nothing new.")
def agent_rating(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The agent's estimate of the customer's satisfaction (idempotent per contact)."""
    rid = response_id(body["channel"], body["interaction_id"])
    return _store("agent_ratings", {"_id": rid, **body}, body["rated_at"])


@bp.post("/thanks")
@require_api_key("write")
@bp.arguments(ThanksSchema)
@error_responses(bp, {**AUTH_ERRORS, **_BODY})
@bp.response(201, StoredSchema)
@bp.alt_response(200, schema=StoredSchema, description="Already recorded: nothing new.")
def thanks(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A thank-you letter or message for an agent (idempotent on its source id)."""
    doc = {"_id": thanks_id(body["source"], body["source_id"]), **body}
    return _store("thanks", doc, body["received_at"])
