"""Complaints in (write scope), escalation rules as data (admin), alerts out (read; ack: write)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from aggregator.settings import AggregatorSettings
from survey_core.complaints import alerts, rules, store
from survey_core.fields import Instant, StrictString
from survey_core.storage.client import get_db
from survey_core.web import audit_trail
from survey_core.web.auth import require_api_key
from survey_core.web.errors import APIError
from survey_core.web.metrics import count_alert
from survey_core.web.openapi import AUTH_ERRORS, BODY_ERRORS, error_responses

bp = Blueprint(
    "complaints",
    __name__,
    url_prefix="/api/v1",
    description="Complaints, escalation rules and the alerts they raise.",
)
_AUTH = AUTH_ERRORS
_BODY = BODY_ERRORS
_LABEL = validate.Length(min=1, max=128)
# Prometheus labels of alerts: the seeded categories (an edited rule book's others are `other`).
ALERT_LABELS = (frozenset(r["category"] for r in rules.DEFAULT_RULES), frozenset(rules.LEVELS))


class ComplaintSchema(Schema):
    source = StrictString(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,31}\Z"))
    external_id = StrictString(required=True, validate=validate.Length(min=1, max=128))
    category = StrictString(
        load_default=rules.GENERAL,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "One a rule names, else counted as `general`."},
    )
    occurred_at = Instant(required=True)
    interaction_id = StrictString(validate=_LABEL)
    channel = StrictString(validate=_LABEL)
    agent = StrictString(validate=_LABEL)
    team = StrictString(validate=_LABEL)


class AlertSchema(Schema):
    id = StrictString(attribute="_id")
    category = StrictString()
    window_minutes = fields.Integer()
    occurrence_start = fields.DateTime(attribute="occurrence_start_at")
    level = StrictString()
    count = fields.Integer()
    opened_at = fields.DateTime()
    escalated_at = fields.DateTime(allow_none=True)
    status = StrictString(metadata={"description": "`open` or `acknowledged`"})
    acknowledged_by = StrictString(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)


class StoredComplaintSchema(Schema):
    id = StrictString(attribute="_id")
    category = StrictString(attribute="category_in_force")
    occurred_at = fields.DateTime()
    created = fields.Boolean()
    alerts = fields.List(fields.Nested(AlertSchema))


class AlertQuerySchema(Schema):
    status = StrictString(validate=validate.OneOf(["open", "acknowledged"]))
    level = StrictString(validate=validate.OneOf(rules.LEVELS))
    category = StrictString(validate=validate.Length(min=1, max=64))


class AlertListSchema(Schema):
    alerts = fields.List(fields.Nested(AlertSchema))


def _settings() -> AggregatorSettings:
    return current_app.config["SETTINGS"]


@bp.post("/complaints")
@require_api_key("write")
@bp.arguments(ComplaintSchema)
@error_responses(bp, {**_AUTH, **_BODY})
@bp.response(201, StoredComplaintSchema)
@bp.alt_response(200, schema=StoredComplaintSchema, description="Already recorded: nothing new.")
def record(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record a complaint (idempotent on source + external id); its category's rules are
    evaluated at its own minute."""
    settings = _settings()
    # Its audit record commits with the complaint (a re-post's is appended after, with 200).
    target = {"id": store.complaint_id(body["source"], body["external_id"])}
    done = store.record_complaint(
        get_db(),
        body,
        settings.growth_min_baseline,
        settings.alert_receivers,
        settings.tz,
        current_app.extensions["voc.rule_book"],
        audit_trail.for_this_write(target, 201),
    )
    if done.created:
        audit_trail.stored_with_the_write()
    for alert in done.alerts:
        count_alert(alert["category"], alert["level"], *ALERT_LABELS)
    shown = {**done.complaint, "created": done.created, "alerts": done.alerts}
    return shown, (201 if done.created else 200)


@bp.get("/alert-rules")
@require_api_key("admin")
@error_responses(bp, _AUTH)
@bp.response(200, rules.RuleSetSchema)
def read_rules() -> dict[str, Any]:
    """The rules in force (the seeded escalation table until replaced)."""
    return {"rules": store.rules_in_force(get_db())}


@bp.put("/alert-rules")
@require_api_key("admin")
@bp.arguments(rules.RuleSetSchema)
@error_responses(bp, {**_AUTH, **_BODY})
@bp.response(200, rules.RuleSetSchema)
def replace_rules(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the whole rule set."""
    return {"rules": store.replace_rules(get_db(), body["rules"])["rules"]}


@bp.get("/alerts")
@require_api_key("read")
@bp.arguments(AlertQuerySchema, location="query")
@error_responses(bp, {**_AUTH, 422: "`validation_error`."})
@bp.response(200, AlertListSchema)
def list_alerts(query: dict[str, Any]) -> dict[str, Any]:
    """Alerts, newest first (at most 1,000)."""
    return {"alerts": alerts.listed(get_db(), query)}


@bp.post("/alerts/<alert_id>/ack")
@require_api_key("write")
@error_responses(bp, {**_AUTH, 404: "`alert_not_found`."})
@bp.response(200, AlertSchema)
def acknowledge(alert_id: str) -> dict[str, Any]:
    """Acknowledge an alert: who (the key's name) and when are recorded."""
    alert = alerts.acknowledge(get_db(), alert_id, g.api_key.get("name"))
    if alert is None:
        raise APIError(404, "alert_not_found", "There is no such alert.")
    return alert
