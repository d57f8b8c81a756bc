"""What a survey definition may say: the marshmallow schema that every publish goes through.

A definition that makes no sense (no questions, duplicate keys, an unknown type, a scale other
than the type's, a choice with no options, a text missing in one of the survey's languages, a
recording question without a consent question right before it, a display condition that
tests anything but an earlier question of a type it can compare) fails with field errors that
name the place, e.g. {"questions": {"2": {"prompt": [...]}}}.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from survey_core.fields import DictKey, StrictBoolean, StrictDict, StrictFloat, StrictString
from survey_core.surveys import conditions

LANGUAGES = ("zh-CN", "en-US")
QUESTION_TYPES = (
    "csat",
    "nps",
    "ces",
    "rating",
    "choice",
    "multi",
    "text",
    "consent",
    "recording",
    "reason",
)
# A recording question is asked only after a yes to the consent question right before it.
CONSENT, RECORDING = "consent", "recording"
CHANNELS = ("ivr", "web", "chat", "email", "sms", "training")
# Inclusive key ranges of the scored question types.
SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 5)}
# A rating (1 poor - 5 excellent) is reported per question key: a training evaluation's
# communication, clarity, interaction and overall.
RATING_SCALE = (1, 5)
SCALE_OF: dict[str, tuple[int, int]] = {**SCALES, "rating": RATING_SCALE}
WITH_CHOICES = ("choice", "multi", "reason")
# A reason (for a low score) is one of at most nine, answered by one keypad digit on the phone.
REASON, MAX_REASONS = "reason", 9
TEXT_MAX_LENGTH = 1000  # a text question's default limit, in characters
KEY = r"^[a-z][a-z0-9_]{0,31}\Z"
MAX_QUESTIONS = 50  # a survey's most questions (so a multi-choice answer's most options too)
# An http(s) URL: host names (or IPv4) of DNS labels, an optional port, then a path. The same
# pattern validates and is published, so a document-valid URL is never refused.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
WEBHOOK_URL = rf"^https?://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][!-~]*)?\Z"


def _texts(**kwargs: Any) -> StrictDict:
    """A {language: text} mapping: one non-empty text per language."""
    return StrictDict(
        keys=DictKey(validate=validate.OneOf(LANGUAGES)),
        values=StrictString(multiline=True, validate=validate.Length(min=1, max=2000)),
        **kwargs,
    )


class Condition(fields.Field[Any]):
    """A display condition (`survey_core.surveys.conditions`): its shape is checked here, what
    it refers to by the survey schema (which knows the questions before it)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if problems := conditions.shape_errors(value):
            raise ValidationError(problems)
        return value


class ChoiceSchema(Schema):
    class Meta:
        unknown = RAISE

    value = StrictString(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}\Z"))
    label = _texts(required=True)


class QuestionSchema(Schema):
    class Meta:
        unknown = RAISE

    key = StrictString(required=True, validate=validate.Regexp(KEY))
    type = StrictString(required=True, validate=validate.OneOf(QUESTION_TYPES))
    prompt = _texts(required=True)
    required = StrictBoolean(load_default=True)
    # Only to be checked: a scored type's scale is fixed (csat 1-5, nps 0-10, ces 1-5).
    scale = fields.List(
        fields.Integer(strict=True, validate=validate.Range(-1000, 1000)),
        validate=validate.Length(equal=2),
    )
    choices = fields.List(fields.Nested(ChoiceSchema), load_default=None)
    max_length = fields.Integer(strict=True, load_default=None, validate=validate.Range(1, 5000))
    max_seconds = fields.Integer(strict=True, load_default=None, validate=validate.Range(5, 300))
    show_if = Condition(
        load_default=None,
        allow_none=True,
        metadata={
            "description": 'Asked only when this holds over earlier answers, e.g. {"csat": '
            '{"lte": 2}} or {"any": [{"csat": {"lte": 2}}, {"nps": {"in": [0, 1, 2]}}]}.',
            "type": "object",
        },
    )

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        kind, errors = data.get("type"), {}
        if "scale" in data:
            if kind not in SCALE_OF:
                errors["scale"] = [f"A {kind} question has no scale."]
            elif tuple(data["scale"]) != SCALE_OF[kind]:
                low, high = SCALE_OF[kind]
                errors["scale"] = [f"A {kind} question is scored {low}-{high}."]
        if kind in WITH_CHOICES:
            values = [c["value"] for c in data.get("choices") or []]
            if not values:
                errors["choices"] = [f"A {kind} question needs at least one option."]
            elif len(set(values)) != len(values):
                errors["choices"] = ["Option values must be unique."]
            elif kind == REASON and len(values) > MAX_REASONS:
                errors["choices"] = [f"A reason question has at most {MAX_REASONS} options."]
        elif data.get("choices") is not None:
            errors["choices"] = [f"A {kind} question has no options."]
        if data.get("max_length") is not None and kind != "text":
            errors["max_length"] = ["Only a text question has a maximum length."]
        if data.get("show_if") is not None and kind == RECORDING:
            errors["show_if"] = ["A recording question is asked with its consent question."]
        if errors:
            raise ValidationError(errors)


class FollowUpSchema(Schema):
    """Scores at or below which a response opens a follow-up (and counts as a complaint)."""

    class Meta:
        unknown = RAISE

    csat_max = fields.Integer(strict=True, load_default=2, validate=validate.Range(0, 5))
    nps_max = fields.Integer(strict=True, load_default=6, validate=validate.Range(-1, 10))


class SurveySchema(Schema):
    """A survey definition as stored; `version` is assigned on publish."""

    class Meta:
        unknown = RAISE

    slug = StrictString(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,47}\Z"))
    title = _texts(required=True)
    channels = fields.List(
        StrictString(validate=validate.OneOf(CHANNELS)),
        required=True,
        validate=validate.Length(min=1, max=len(CHANNELS)),
    )
    languages = fields.List(
        StrictString(validate=validate.OneOf(LANGUAGES)),
        required=True,
        validate=validate.Length(min=1, max=len(LANGUAGES)),
    )
    default_language = StrictString(required=True, validate=validate.OneOf(LANGUAGES))
    greeting = _texts(required=True)
    thanks = _texts(required=True)
    questions = fields.List(
        fields.Nested(QuestionSchema),
        required=True,
        validate=validate.Length(
            1, MAX_QUESTIONS, error=f"A survey needs 1 to {MAX_QUESTIONS} questions."
        ),
    )
    sample_rate = StrictFloat(load_default=1.0, validate=validate.Range(0.0, 1.0))
    suppress_days = fields.Integer(strict=True, load_default=30, validate=validate.Range(0, 365))
    follow_up = fields.Nested(
        FollowUpSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "Default: CSAT <= 2 or NPS <= 6 (0 / -1: never)."},
    )
    # Where `response.completed` events go (Standard Webhooks), if anywhere.
    webhook_url = StrictString(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=2000),
            validate.Regexp(WEBHOOK_URL, error="Not a valid URL."),
        ],
        metadata={"description": "http(s) URL that completed responses are POSTed to."},
    )

    @pre_load
    def _one_channel(self, data: Any, **_: Any) -> Any:
        """Definitions written before `channels` named one `channel`."""
        if isinstance(data, dict) and "channel" in data and "channels" not in data:
            data = {**data, "channels": [data["channel"]]}
            data.pop("channel")
        return data

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        questions = data.get("questions", [])
        keys = [q["key"] for q in questions]
        if len(set(keys)) != len(keys):
            raise ValidationError("Question keys must be unique.", "questions")
        scored = [q["type"] for q in questions if q["type"] in SCALES]
        if len(set(scored)) != len(scored):
            # Rollups keep one histogram per metric, so each metric is asked once per survey.
            raise ValidationError("At most one csat, one nps and one ces question.", "questions")
        channels = data.get("channels", [])
        if len(set(channels)) != len(channels):
            raise ValidationError("Channels must be unique.", "channels")
        languages = data.get("languages", [])
        if data.get("default_language") not in languages:
            raise ValidationError("Must be one of the survey's languages.", "default_language")
        errors = _missing_translations(data, languages)
        for i, problem in unconsented(questions).items():
            errors.setdefault("questions", {}).setdefault(i, {}).setdefault("type", []).append(
                problem
            )
        for i, problems in condition_errors(questions).items():
            errors.setdefault("questions", {}).setdefault(i, {})["show_if"] = problems
        if errors:
            raise ValidationError(errors)


def unconsented(questions: list[dict[str, Any]]) -> dict[int, str]:
    """{index: problem} of each recording question without a consent question right before it,
    and of each consent question without a recording question right after it."""
    problems: dict[int, str] = {}
    for i, q in enumerate(questions):
        before = questions[i - 1]["type"] if i else None
        after = questions[i + 1]["type"] if i + 1 < len(questions) else None
        if q["type"] == RECORDING and before != CONSENT:
            problems[i] = (
                f"The recording question {q['key']!r} needs a consent question right before it."
            )
        elif q["type"] == CONSENT and after != RECORDING:
            problems[i] = (
                f"The consent question {q['key']!r} needs a recording question right after it."
            )
    return problems


def condition_errors(questions: list[dict[str, Any]]) -> dict[int, list[str]]:
    """{index: problems} of each display condition that tests anything but an earlier
    question of a type it can compare, with an operator and values that type takes."""
    problems: dict[int, list[str]] = {}
    for i, q in enumerate(questions):
        if q.get("show_if") is not None:
            earlier = {p["key"]: p for p in questions[:i]}
            if found := conditions.reference_errors(q["show_if"], earlier, SCALE_OF):
                problems[i] = found
    return problems


def _missing(texts: dict[str, str] | None, languages: list[str]) -> list[str]:
    absent = [lang for lang in languages if not (texts or {}).get(lang)]
    return [f"Missing the {', '.join(absent)} text."] if absent else []


def _missing_translations(data: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """Field errors for every text that lacks one of the survey's languages."""
    errors: dict[str, Any] = {}
    for name in ("title", "greeting", "thanks"):
        if found := _missing(data.get(name), languages):
            errors[name] = found
    for i, q in enumerate(data.get("questions", [])):
        item: dict[str, Any] = {}
        if found := _missing(q.get("prompt"), languages):
            item["prompt"] = found
        for j, choice in enumerate(q.get("choices") or []):
            if found := _missing(choice.get("label"), languages):
                item.setdefault("choices", {})[j] = {"label": found}
        if item:
            errors.setdefault("questions", {})[i] = item
    return errors


def normalised(data: dict[str, Any]) -> dict[str, Any]:
    """A loaded definition with its implied defaults written out (a text's maximum length)."""
    for q in data["questions"]:
        q.pop("scale", None)
        if q.get("show_if") is None:
            q.pop("show_if", None)  # an unconditional question is stored as it always was
        if q["type"] == "text" and q.get("max_length") is None:
            q["max_length"] = TEXT_MAX_LENGTH
    return data
