"""marshmallow schemas of the IVR webhooks and the call-back API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ivr_survey.flow import MAX_ID
from survey_core.fields import StrictString
from survey_core.responses import dimensions
from survey_core.responses.hashing import E164
from survey_core.surveys.schema import LANGUAGES

_ID = validate.Length(min=1, max=MAX_ID)


class CallContextSchema(dimensions.schema_of(dimensions.CONTACT, load_default=None, validate=_ID)):  # type: ignore[misc]
    """The survey and the reporting dimensions a call is filed under (the contact's: agent,
    team, reason; `responses.dimensions`)."""

    survey = StrictString(load_default=None, validate=validate.Length(min=1, max=48))


class VoiceQuerySchema(CallContextSchema):
    """Query parameters of /ivr/voice (set by whoever routes the call to us)."""

    class Meta:
        unknown = EXCLUDE

    lang = StrictString(load_default=None, validate=validate.OneOf(LANGUAGES))
    interaction = StrictString(load_default=None, validate=_ID)


class TwilioCallSchema(Schema):
    """The form fields of Twilio's voice requests that we use (Twilio sends many more)."""

    class Meta:
        unknown = EXCLUDE

    CallSid = StrictString(required=True, validate=_ID)
    From = StrictString(load_default="")
    To = StrictString(load_default="")
    Direction = StrictString(load_default="inbound")
    Digits = StrictString(load_default="")
    CallStatus = StrictString(load_default="")
    RecordingUrl = StrictString(load_default=None)
    RecordingDuration = fields.Integer(load_default=None, validate=validate.Range(0, 86_400))
    TranscriptionText = StrictString(multiline=True, load_default=None)
    TranscriptionStatus = StrictString(load_default=None)


class StateQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = StrictString(required=True, validate=validate.Length(min=8, max=4000))


class CallbackRequestSchema(CallContextSchema):
    """POST /api/v1/callbacks: call a customer back for a survey."""

    to = StrictString(
        required=True,
        validate=validate.Regexp(E164, error="Not an E.164 number (e.g. +8613800138000)."),
    )
    language = StrictString(load_default=None, validate=validate.OneOf(LANGUAGES))
    interaction = StrictString(required=True, validate=_ID)


class CallbackResponseSchema(Schema):
    call_sid = StrictString()
    status = StrictString()
    interaction = StrictString()
