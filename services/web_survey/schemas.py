"""marshmallow schemas of the web survey's JSON API (invitations, responses)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from survey_core.fields import DictKey, StrictBoolean, StrictDict, StrictString
from survey_core.responses import dimensions
from survey_core.responses.hashing import E164
from survey_core.surveys.answers import AnswerValue, answers_request
from survey_core.surveys.schema import LANGUAGES, QuestionSchema

INVITATION_CHANNELS = ("web", "chat", "email", "sms")
# Full matches (\Z, not $, which admits a trailing newline); no ":" (it separates the parts of
# a response id).
INTERACTION = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z", error="1-64 letters, digits, '.', '_' or '-'."
)
_LABEL = validate.Length(min=1, max=128)


class InvitationRequestSchema(dimensions.schema_of(dimensions.CONTACT, validate=_LABEL)):  # type: ignore[misc]
    survey = StrictString(
        load_default="post-contact",
        validate=validate.Length(min=1, max=48),
        metadata={"description": "The survey's slug; its channels must include `channel`."},
    )
    channel = StrictString(required=True, validate=validate.OneOf(INVITATION_CHANNELS))
    interaction_id = StrictString(
        required=True, validate=INTERACTION, metadata={"description": "Ticket or chat id."}
    )
    lang = StrictString(validate=validate.OneOf(LANGUAGES))
    expires_in = fields.Integer(
        strict=True,
        validate=validate.Range(60, 90 * 86400),
        metadata={"description": "Seconds the link stays valid (default LINK_TTL_HOURS)."},
    )
    email = StrictString(
        validate=[validate.Length(max=254), validate.Email()],
        metadata={"format": "email", "description": "Only its keyed hash is kept (suppression)."},
    )
    phone = StrictString(
        validate=validate.Regexp(E164, error="Not an E.164 number."),
        metadata={"description": "E.164; only its keyed hash is kept. Required to `send`."},
    )
    send = StrictBoolean(
        load_default=False,
        metadata={"description": "With channel `sms`: text the link to `phone` via Twilio."},
    )


class InvitationSchema(Schema):
    url = StrictString(metadata={"description": "The questionnaire: GET /s/<token>."})
    token = StrictString()
    expires_at = fields.DateTime()
    survey = StrictString()
    version = fields.Integer()
    channel = StrictString()
    interaction_id = StrictString()
    language = StrictString()
    created = fields.Boolean(metadata={"description": "False: the contact's existing link."})
    sent_at = fields.DateTime(allow_none=True)


class InvitationBatchRequestSchema(Schema):
    invitations = fields.List(
        fields.Nested(InvitationRequestSchema),
        required=True,
        validate=validate.Length(min=1, max=1000),
    )


class BatchItemSchema(Schema):
    index = fields.Integer()
    outcome = StrictString(
        metadata={"description": "`created`, `existing` or `recently_surveyed`."}
    )
    invitation = fields.Nested(InvitationSchema, allow_none=True)


class InvitationBatchSchema(Schema):
    created = fields.Integer()
    existing = fields.Integer()
    recently_surveyed = fields.Integer()
    results = fields.List(fields.Nested(BatchItemSchema))


AnswersRequestSchema = answers_request(
    "Question key -> answer: an integer for csat/ces (1-5) and nps (0-10), an option value "
    "for choice and reason, a list of them for multi, a string for text. A question whose "
    "`show_if` does not hold for the other answers takes none (422)."
)


class ResponseSchema(Schema):
    survey = StrictString()
    version = fields.Integer()
    channel = StrictString()
    interaction_id = StrictString()
    language = StrictString()
    status = StrictString(metadata={"description": "`complete`, or `in_progress` (a draft)."})
    answers = StrictDict(keys=DictKey(), values=AnswerValue())
    expires_at = fields.DateTime()


class QuestionnaireSchema(ResponseSchema):
    questions = fields.List(
        fields.Nested(QuestionSchema),
        metadata={
            "description": "The survey's questions, in order, as defined; a question with "
            "`show_if` is asked only when its condition holds over the earlier answers."
        },
    )
    title = StrictDict(keys=DictKey(), values=StrictString(multiline=True))
