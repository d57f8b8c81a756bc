"""marshmallow schemas of the IVR webhooks and the call-back API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from survey_core.responses.hashing import E164
from survey_core.surveys.schema import LANGUAGES

_ID = validate.Length(min=1, max=128)


class CallContextSchema(Schema):
    """The survey and the reporting dimensions a call is filed under."""

    survey = fields.String(load_default=None, validate=validate.Length(min=1, max=48))
    agent = fields.String(load_default=None, validate=_ID)
    team = fields.String(load_default=None, validate=_ID)
    reason = fields.String(load_default=None, validate=_ID)


class VoiceQuerySchema(CallContextSchema):
    """Query parameters of /ivr/voice (set by whoever routes the call to us)."""

    class Meta:
        unknown = EXCLUDE

    lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    interaction = fields.String(load_default=None, validate=_ID)


class TwilioCallSchema(Schema):
    """The form fields of Twilio's voice requests that we use (Twilio sends many more)."""

    class Meta:
        unknown = EXCLUDE

    CallSid = fields.String(required=True, validate=_ID)
    From = fields.String(load_default="")
    To = fields.String(load_default="")
    Direction = fields.String(load_default="inbound")
    Digits = fields.String(load_default="")
    CallStatus = fields.String(load_default="")
    RecordingUrl = fields.String(load_default=None)
    RecordingDuration = fields.Integer(load_default=None, validate=validate.Range(0, 86_400))
    TranscriptionText = fields.String(load_default=None)
    TranscriptionStatus = fields.String(load_default=None)


class StateQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(required=True, validate=validate.Length(min=8, max=4000))


class CallbackRequestSchema(CallContextSchema):
    """POST /api/v1/callbacks: call a customer back for a survey."""

    to = fields.String(
        required=True,
        validate=validate.Regexp(E164, error="Not an E.164 number (e.g. +8613800138000)."),
    )
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    interaction = fields.String(required=True, validate=_ID)


class CallbackResponseSchema(Schema):
    call_sid = fields.String()
    status = fields.String()
    interaction = fields.String()
