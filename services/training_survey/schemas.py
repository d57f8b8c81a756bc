"""marshmallow schemas of the training survey's JSON API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from survey_core.fields import DictKey, Instant, StrictBoolean, StrictDict, StrictString
from survey_core.months import MONTH_RE
from survey_core.surveys.answers import AnswerValue, answers_request
from survey_core.surveys.schema import LANGUAGES

ID = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z", error="1-64 letters, digits, . _ -")


class TrainerSchema(Schema):
    id = StrictString(required=True, validate=ID)
    name = StrictString(required=True, validate=validate.Length(min=1, max=128))
    team = StrictString(load_default=None, validate=validate.Length(min=1, max=128))
    active = StrictBoolean(load_default=True)


class TrainerListSchema(Schema):
    trainers = fields.List(fields.Nested(TrainerSchema))


class SessionRequestSchema(Schema):
    trainer_id = StrictString(required=True, validate=ID)
    topic = StrictString(required=True, validate=validate.Length(min=1, max=200))
    held_at = Instant(
        required=True, metadata={"description": "When it was held, with its UTC offset."}
    )
    language = StrictString(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))
    trainees = fields.List(
        StrictString(validate=ID),
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "The roster: each trainee's id, once."},
    )
    expires_in = fields.Integer(
        strict=True,
        validate=validate.Range(3600, 90 * 86400),
        metadata={"description": "Seconds the links stay valid (default LINK_TTL_HOURS: 7 days)."},
    )

    @validates("trainees")
    def _once(self, value: list[str], **_: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("Each trainee may be listed once.")


class LinkSchema(Schema):
    trainee_id = StrictString()
    url = StrictString()
    token = StrictString()
    expires_at = fields.DateTime()


class Rating(Schema):
    mean = fields.Float(allow_none=True)
    ci = fields.List(fields.Float(), allow_none=True)
    n = fields.Integer()


class SessionSchema(Schema):
    session_id = StrictString()
    trainer_id = StrictString()
    topic = StrictString()
    held_at = fields.DateTime()
    month = StrictString()
    language = StrictString()
    closed_at = fields.DateTime(allow_none=True)
    links_expire_at = fields.DateTime(
        allow_none=True, metadata={"description": "The evaluation window closes then at latest."}
    )
    invited = fields.Integer()
    status = StrictString(
        metadata={
            "description": "`open`: the evaluation window is open, nothing of the evaluations "
            "is shown (not even how many); `withheld`: closed with fewer than ANONYMITY_MIN "
            "evaluations, their count only; `released`: closed with enough, every figure."
        }
    )
    answered = fields.Integer(allow_none=True, metadata={"description": "null while open"})
    response_rate = fields.Float(allow_none=True)
    shown = fields.Boolean(metadata={"description": "true when `released`."})
    overall = fields.Nested(Rating, allow_none=True)
    communication = fields.Nested(Rating, allow_none=True)
    clarity = fields.Nested(Rating, allow_none=True)
    interaction = fields.Nested(Rating, allow_none=True)
    comments = fields.List(StrictString(multiline=True), allow_none=True)
    links = fields.List(fields.Nested(LinkSchema))


class SessionListSchema(Schema):
    sessions = fields.List(fields.Nested(SessionSchema))


class SessionQuerySchema(Schema):
    month = StrictString(validate=validate.Regexp(MONTH_RE, error="Not a month in YYYY-MM form."))
    trainer = StrictString(validate=ID)


EvaluationRequestSchema = answers_request(
    "communication, clarity, interaction, overall: integers 1-5 (required); recommend: 0-10; "
    "comment: text."
)


class EvaluationSchema(Schema):
    session_id = StrictString()
    trainer_id = StrictString()
    status = StrictString()
    answers = StrictDict(keys=DictKey(), values=AnswerValue())
