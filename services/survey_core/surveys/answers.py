"""Per-question answer checks for questionnaires answered in one go (web pages, widgets).

One marshmallow schema per survey version, built from its questions: scores are strict integers
in the type's scale (`3.5`, `"4"` and `true` are refused, never truncated or coerced), a choice is
one of its options (a reason too), a multi several distinct ones, a text at most its maximum
length. Recording questions are for the phone only and are not asked here. A question with a
display condition is asked only when it holds: an answer to a question not shown is refused,
and a required one is required only when shown.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from survey_core.fields import DictKey, StrictDict, StrictString, storable
from survey_core.surveys import conditions
from survey_core.surveys.schema import MAX_QUESTIONS, REASON, SCALE_OF, TEXT_MAX_LENGTH

ASKED_TYPES = ("csat", "nps", "ces", "rating", "choice", "multi", "text", REASON)
NOT_SHOWN = "This question is not asked for the answers given."
REQUIRED = "Missing data for required field."  # marshmallow's own words
_SCORE = re.compile(r"[0-9]{1,2}")  # ASCII digits only: "٣" and "²" are not scores


class AnswerValue(fields.Field[Any]):
    """One answer as sent, before its question's own check (`check_answers`): a JSON number,
    boolean, null or text, or a list of at most 50 of them; never an object, and text only of
    characters that can be stored (see `survey_core.fields`)."""

    default_error_messages = {
        "invalid": "Not an answer: a number, a text or a list of options.",
        "unstorable": StrictString.default_error_messages["unstorable"],
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_QUESTIONS or not all(map(_scalar, items)):
            raise self.make_error("invalid")
        if not all(storable(v, multiline=True) for v in items if isinstance(v, str)):
            raise self.make_error("unstorable")
        return value


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, bool | int | str)


def asked(survey: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The questions a questionnaire shows, in order."""
    return [q for q in survey["questions"] if q["type"] in ASKED_TYPES]


def _field(q: Mapping[str, Any]) -> fields.Field[Any]:
    # A conditional question's requirement is checked once its condition is known.
    kind = q["type"]
    required = bool(q.get("required", True)) and q.get("show_if") is None
    if kind in SCALE_OF:
        low, high = SCALE_OF[kind]
        return fields.Integer(
            strict=True,
            required=required,
            validate=validate.Range(
                low, high, error=f"Must be a whole number from {low} to {high}."
            ),
        )
    values = [c["value"] for c in q.get("choices") or []]
    if kind in ("choice", REASON):
        return StrictString(required=required, validate=validate.OneOf(values))
    if kind == "multi":
        return fields.List(
            StrictString(validate=validate.OneOf(values)),
            required=required,
            validate=[
                validate.Length(min=1 if required else 0, max=len(values)),
                _distinct,
            ],
        )
    limit = q.get("max_length") or TEXT_MAX_LENGTH
    return StrictString(multiline=True, required=required, validate=validate.Length(max=limit))


def _distinct(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Each option may be chosen once.")


@functools.lru_cache(maxsize=256)
def _schema_for(questions: str) -> Schema:
    # Keyed by the questions' JSON: a published version never changes, so this is a cache.
    shape = {q["key"]: _field(q) for q in json.loads(questions)}
    schema_class = Schema.from_dict(shape, name="Answers")
    return schema_class(unknown=RAISE)


# The schema of each survey definition object seen lately (the catalog's are kept per process):
# by identity, without the ~20 us of writing its questions out as a key on every request.
_BY_DEFINITION: dict[int, tuple[Mapping[str, Any], Schema]] = {}
_DEFINITIONS_HELD = 256


def answers_schema(survey: Mapping[str, Any]) -> Schema:
    """The marshmallow schema of `survey`'s answers (cached per question list)."""
    held = _BY_DEFINITION.get(id(survey))
    if held is not None and held[0] is survey:
        return held[1]
    schema = _schema_for(json.dumps(asked(survey), sort_keys=True, ensure_ascii=False))
    if len(_BY_DEFINITION) >= _DEFINITIONS_HELD:
        _BY_DEFINITION.clear()
    _BY_DEFINITION[id(survey)] = (survey, schema)
    return schema


def check_answers(survey: Mapping[str, Any], answers: Any, partial: bool = False) -> dict[str, Any]:
    """`answers` validated against `survey` (ValidationError with one entry per bad key).

    With `partial`, required questions may be left out (a saved draft).
    """
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": ["Must be an object of question key -> answer."]})
    loaded = answers_schema(survey).load(dict(answers), partial=partial)
    given = {k: v for k, v in loaded.items() if v not in (None, "", [])}
    errors = shown_errors(asked(survey), given, partial)
    if errors:
        raise ValidationError(errors)
    return given


def shown_errors(
    questions: list[dict[str, Any]], answers: Mapping[str, Any], partial: bool = False
) -> dict[str, list[str]]:
    """{key: [problem]} for each answer to a question its condition hides, and (unless
    `partial`) for each required conditional question shown but not answered."""
    shown = conditions.visible(questions, answers)
    errors = {k: [NOT_SHOWN] for k in answers if k not in shown}
    if not partial:
        for q in questions:
            conditional = q.get("show_if") is not None and q.get("required", True)
            if conditional and q["key"] in shown and q["key"] not in answers:
                errors[q["key"]] = [REQUIRED]
    return errors


def from_form(survey: Mapping[str, Any], form: Any) -> dict[str, Any]:
    """The answers an HTML form posted (a werkzeug MultiDict), typed as the JSON API takes them:
    a score's ASCII digits become an int, a multi is a list, empty texts are left out."""
    answers: dict[str, Any] = {}
    for q in asked(survey):
        key, kind = q["key"], q["type"]
        if kind == "multi":
            chosen = [v for v in form.getlist(key) if v]
            if chosen:
                answers[key] = chosen
            continue
        raw = form.get(key)
        if raw is None:
            continue
        raw = raw.strip() if kind == "text" else raw
        if raw == "":
            continue
        answers[key] = int(raw) if kind in SCALE_OF and _SCORE.fullmatch(raw) else raw
    return answers


def qtypes(survey: Mapping[str, Any]) -> dict[str, str]:
    """{key: type} of the asked questions (what a submission event carries)."""
    return {q["key"]: q["type"] for q in asked(survey)}


def answers_request(description: str) -> type[Schema]:
    """The body of a link's answers sent as JSON: its token (the credential) and the answers
    (checked against the link's survey by `check_answers`); `description` says what they are."""
    return Schema.from_dict(
        {
            "token": StrictString(required=True, validate=validate.Length(min=1, max=512)),
            "answers": StrictDict(
                keys=DictKey(),
                values=AnswerValue(),
                max_items=MAX_QUESTIONS,
                required=True,
                metadata={"description": description},
            ),
        },
        name="AnswersRequest",
    )
