"""Access and erasure requests over REST (admin): each is stored with its report (what was
found and done; never the identifier), is idempotent, and is audited like every admin write."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from survey_core import sealing
from survey_core.fields import DictKey, StrictDict, StrictString
from survey_core.messaging import TwilioUnavailable
from survey_core.privacy import requests
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.context import survey_of
from survey_core.web.errors import APIError
from survey_core.web.openapi import AUTH_ERRORS, error_responses

bp = Blueprint(
    "privacy",
    __name__,
    url_prefix="/api/v1",
    description="Access (export) and erasure of one subject's personal data (admin).",
)
_ID = validate.Length(min=1, max=128)
_E164 = r"^\+?[0-9][0-9 ()-]{4,30}\Z"


class SubjectSchema(Schema):
    phone = StrictString(validate=validate.Regexp(_E164), metadata={"description": "a number"})
    email = StrictString(
        validate=[validate.Length(max=254), validate.Email()], metadata={"format": "email"}
    )
    trainee_id = StrictString(validate=_ID, metadata={"description": "with `session_id`"})
    session_id = StrictString(validate=_ID)
    interaction_id = StrictString(validate=_ID, metadata={"description": "a CallSid, ticket id"})
    channel = StrictString(validate=_ID, metadata={"description": "narrows `interaction_id`"})

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        named = [k for k in ("phone", "email", "trainee_id", "interaction_id") if data.get(k)]
        if len(named) != 1:
            raise ValidationError(
                "Name exactly one of phone, email, trainee_id, interaction_id.", "subject"
            )
        if bool(data.get("trainee_id")) != bool(data.get("session_id")):
            raise ValidationError("A trainee is named with their session_id.", "session_id")


class PrivacyRequestSchema(Schema):
    action = StrictString(required=True, validate=validate.OneOf(["export", "erase"]))
    subject = fields.Nested(SubjectSchema, required=True)


class PrivacyReportSchema(Schema):
    id = StrictString(attribute="_id")
    action = StrictString()
    subject_kind = StrictString(metadata={"description": "phone, email, trainee or interaction"})
    at = fields.DateTime()
    by = StrictString()
    status = StrictString(metadata={"description": "`done`"})
    responses_found = fields.Integer()
    removed = StrictDict(keys=DictKey(), values=fields.Integer())
    data = fields.Function(
        lambda report: report.get("data"),
        metadata={
            "type": "object",
            "nullable": True,
            "description": "export: every document stored about the subject, per collection "
            "(JSON-safe: dates and ids as strings)",
        },
    )


def _kind(subject: dict[str, Any]) -> str:
    for kind in ("phone", "email", "interaction_id"):
        if subject.get(kind):
            return kind.removesuffix("_id")
    return "trainee"


@bp.post("/privacy/requests")
@require_api_key("admin")
@bp.arguments(PrivacyRequestSchema)
@error_responses(
    bp,
    {
        **AUTH_ERRORS,
        422: "`validation_error`: exactly one subject identifier.",
        409: "`recordings_kept`: the subject has recordings and no Twilio credentials are set; "
        "`not_configured`: PHONE_HASH_KEY unset, only an interaction id can be looked up.",
        502: "`twilio_unavailable`: recordings could not be deleted at Twilio; ask again.",
    },
)
@bp.response(200, PrivacyReportSchema)
def privacy_request(body: dict[str, Any]) -> dict[str, Any]:
    """Export or erase everything stored about one subject; the answer is the request's report
    (an export carries the data). Erasing keeps anonymous scores, so every report stays."""
    settings = current_app.config["SETTINGS"]
    db = get_db()
    subject = requests.Subject(**body["subject"])
    key = settings.phone_hash_key
    if key is None and not subject.interaction_id:
        raise APIError(
            409,
            "not_configured",
            "PHONE_HASH_KEY is not set on this service: only an interaction id can be looked up.",
        )
    key = key or ""
    try:
        report = requests.carry_out(
            db,
            body["action"],
            subject,
            key,
            survey_of(),
            settings,
            settings.spool_dir,
            sealing.current(),
        )
    except TwilioUnavailable as exc:
        raise APIError(
            502,
            "twilio_unavailable",
            f"Recordings could not be deleted at Twilio ({exc}); nothing else was erased "
            "for them yet. Ask again shortly.",
        ) from None
    except requests.RecordingsKept:
        raise APIError(
            409,
            "recordings_kept",
            "The subject has recordings at Twilio; set TWILIO_ACCOUNT_SID and "
            "TWILIO_AUTH_TOKEN so they can be deleted, then ask again.",
        ) from None
    if body["action"] == "export":
        report = {"responses_found": len(report["responses_found"]), "data": report["data"]}
    record = {
        "_id": "pr_" + secrets.token_hex(8),
        "action": body["action"],
        "subject_kind": _kind(body["subject"]),
        "at": datetime.now(UTC),
        "by": g.api_key.get("name"),
        "status": "done",
        "responses_found": report["responses_found"],
        "removed": report.get("removed", {}),
    }
    requests.record_request(db, record)
    return {**record, "data": report.get("data")}
