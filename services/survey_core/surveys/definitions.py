"""Versioned survey definitions (the `surveys` collection): validation, publishing, progress."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

LANGUAGES = ("zh-CN", "en-US")
QUESTION_TYPES = ("csat", "nps", "ces", "choice", "text", "recording")
CHANNELS = ("ivr", "web", "chat", "email", "sms")
# Inclusive key ranges of the scored question types.
SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 5)}


class PromptSchema(Schema):
    zh_cn = fields.String(data_key="zh-CN", required=True, validate=validate.Length(min=1))
    en_us = fields.String(data_key="en-US", required=True, validate=validate.Length(min=1))


class QuestionSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$"))
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    prompt = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    required = fields.Boolean(load_default=True)
    choices = fields.List(fields.String(), load_default=None)
    max_seconds = fields.Integer(load_default=None, validate=validate.Range(5, 300))


class SurveySchema(Schema):
    """A survey definition as stored; `version` is assigned on publish."""

    slug = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,47}$"))
    title = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    languages = fields.List(fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    default_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    greeting = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    thanks = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)
    sample_rate = fields.Float(load_default=1.0, validate=validate.Range(0.0, 1.0))
    suppress_days = fields.Integer(load_default=30, validate=validate.Range(0, 365))

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        keys = [q["key"] for q in data.get("questions", [])]
        if not keys:
            raise ValidationError("A survey needs at least one question.", "questions")
        if len(set(keys)) != len(keys):
            raise ValidationError("Question keys must be unique.", "questions")
        scored = [q["type"] for q in data.get("questions", []) if q["type"] in SCALES]
        if len(set(scored)) != len(scored):
            # Rollups keep one histogram per metric, so each metric is asked once per survey.
            raise ValidationError("At most one csat, one nps and one ces question.", "questions")
        for q in data.get("questions", []):
            missing = [lang for lang in data.get("languages", []) if lang not in q["prompt"]]
            if missing:
                raise ValidationError(f"{q['key']}: no prompt in {', '.join(missing)}", "questions")


def _content(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k not in ("_id", "version", "created_at")}


def publish_survey(db: Database, definition: dict[str, Any]) -> dict[str, Any]:
    """Validate and store `definition` as a new version, unless it equals the latest one."""
    data = SurveySchema().load(_content(copy.deepcopy(definition)))
    latest = get_survey(db, data["slug"])
    if latest is not None and _content(latest) == data:
        return latest
    version = (latest["version"] + 1) if latest else 1
    doc = {**data, "version": version, "created_at": datetime.now(UTC)}
    try:
        db.surveys.insert_one(doc)
    except DuplicateKeyError:  # a concurrent publish won; theirs is as good as ours
        return get_survey(db, data["slug"]) or doc
    return doc


def seed_surveys(db: Database, definitions: Iterable[dict[str, Any]]) -> None:
    """Make sure each definition has at least its first version (idempotent)."""
    for definition in definitions:
        if db.surveys.count_documents({"slug": definition["slug"]}, limit=1) == 0:
            publish_survey(db, definition)


def as_stored(definition: dict[str, Any], version: int = 1) -> dict[str, Any]:
    """A definition validated and shaped as its stored version `version` (defaults filled)."""
    return {**SurveySchema().load(_content(copy.deepcopy(definition))), "version": version}


def question(key: str, kind: str, zh: str, en: str, required: bool = True, **extra: Any) -> dict:
    """One question of a definition, with its prompt in both languages."""
    return {
        "key": key,
        "type": kind,
        "prompt": {"zh-CN": zh, "en-US": en},
        "required": required,
        **extra,
    }


def localised(texts: dict[str, str], language: str) -> str:
    """Pick `language` from a {lang: text} mapping of a definition (else its first text)."""
    return texts.get(language) or next(iter(texts.values()))


def final_status(survey: dict[str, Any] | None, reached: int) -> str:
    """complete once every required question was put and passed; else partial."""
    if survey is None:
        return "partial"
    required = [i for i, q in enumerate(survey["questions"]) if q.get("required", True)]
    last_required = required[-1] if required else -1
    return "complete" if reached > last_required else "partial"


def question_key_at(survey: dict[str, Any] | None, index: int) -> str | None:
    """The key of the question at `index` (the last one when past the end)."""
    if survey is None:
        return None
    questions = survey["questions"]
    return questions[min(index, len(questions) - 1)]["key"]


def get_survey(db: Database, slug: str, version: int | None = None) -> dict[str, Any] | None:
    """The latest version of survey `slug` (or the given version); None if there is none."""
    query: dict[str, Any] = {"slug": slug}
    if version is not None:
        query["version"] = version
    return db.surveys.find_one(query, {"_id": 0}, sort=[("version", DESCENDING)])
