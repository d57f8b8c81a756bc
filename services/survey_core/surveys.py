"""Versioned survey definitions (the `surveys` collection) and the seeded defaults."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

LANGUAGES = ("zh-CN", "en-US")
QUESTION_TYPES = ("csat", "nps", "ces", "choice", "text", "recording")
CHANNELS = ("ivr", "web", "chat", "email", "sms")
# Inclusive key ranges of the scored question types.
SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 5)}
DEFAULT_IVR_SURVEY = "post-call"
DEFAULT_WEB_SURVEY = "post-contact"


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


def _q(key: str, kind: str, zh: str, en: str, required: bool = True, **extra: Any) -> dict:
    return {"key": key, "type": kind, "prompt": {"zh-CN": zh, "en-US": en}, "required": required}


DEFAULT_SURVEYS: list[dict[str, Any]] = [
    {
        "slug": DEFAULT_IVR_SURVEY,
        "title": {"zh-CN": "通话满意度调查", "en-US": "Post-call survey"},
        "channel": "ivr",
        "languages": list(LANGUAGES),
        "default_language": "zh-CN",
        "greeting": {
            "zh-CN": "感谢您的来电。请花一分钟时间为我们的服务打分。",
            "en-US": "Thank you for calling. Please take a minute to rate our service.",
        },
        "thanks": {
            "zh-CN": "感谢您的反馈，再见。",
            "en-US": "Thank you for your feedback. Goodbye.",
        },
        "questions": [
            _q(
                "csat",
                "csat",
                "您对本次服务的满意程度如何？请按1到5，5表示非常满意。",
                "How satisfied were you with this call? Press 1 to 5, where 5 is very satisfied.",
            ),
            _q(
                "nps",
                "nps",
                "您有多大可能向朋友推荐我们？请按0到10，按1再按0表示10，然后按井号键。",
                "How likely are you to recommend us to a friend? Press 0 to 10; for 10 press 1 "
                "then 0, then the pound key.",
            ),
            _q(
                "ces",
                "ces",
                "解决您的问题有多容易？请按1到5，1表示非常容易。",
                "How easy was it to get your issue resolved? Press 1 to 5, where 1 is very easy.",
            ),
            {
                **_q(
                    "comment",
                    "recording",
                    "如果您还有其他意见，请在提示音后留言，完成后按井号键。",
                    "If you have any other comments, please speak after the tone and press the "
                    "pound key when done.",
                    required=False,
                ),
                "max_seconds": 60,
            },
        ],
        "sample_rate": 1.0,
        "suppress_days": 30,
    },
    {
        "slug": DEFAULT_WEB_SURVEY,
        "title": {"zh-CN": "服务满意度调查", "en-US": "How did we do?"},
        "channel": "web",
        "languages": list(LANGUAGES),
        "default_language": "zh-CN",
        "greeting": {"zh-CN": "感谢您联系我们。", "en-US": "Thank you for contacting us."},
        "thanks": {"zh-CN": "感谢您的反馈！", "en-US": "Thank you for your feedback!"},
        "questions": [
            _q("csat", "csat", "您对本次服务满意吗？", "How satisfied were you with our service?"),
            _q("nps", "nps", "您有多大可能向朋友推荐我们？", "How likely are you to recommend us?"),
            _q("ces", "ces", "解决问题有多容易？", "How easy was it to resolve your issue?"),
            _q(
                "comment",
                "text",
                "还有其他意见吗？",
                "Anything else you would like to tell us?",
                required=False,
            ),
        ],
        "sample_rate": 1.0,
        "suppress_days": 0,
    },
]


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


def seed_default_surveys(db: Database) -> None:
    """Make sure every default survey has at least its first version (idempotent)."""
    for definition in DEFAULT_SURVEYS:
        if db.surveys.count_documents({"slug": definition["slug"]}, limit=1) == 0:
            publish_survey(db, definition)


def get_survey(db: Database, slug: str, version: int | None = None) -> dict[str, Any] | None:
    """The latest version of survey `slug` (or the given version); None if there is none."""
    query: dict[str, Any] = {"slug": slug}
    if version is not None:
        query["version"] = version
    return db.surveys.find_one(query, {"_id": 0}, sort=[("version", DESCENDING)])


class SurveyCatalog:
    """Survey definitions cached in the process, so a database outage does not silence a call.

    A version never changes once published, so versions are cached for good; "latest" is
    refreshed every `ttl` seconds and served stale while the database is down. The seeded
    defaults are the last resort.
    """

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._versions: dict[tuple[str, int], dict[str, Any]] = {}
        self._latest: dict[str, tuple[float, dict[str, Any]]] = {}

    def latest(self, db: Database, slug: str) -> dict[str, Any] | None:
        cached = self._latest.get(slug)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        try:
            survey = get_survey(db, slug)
        except PyMongoError:
            survey = cached[1] if cached else _builtin(slug)
            if survey is None:
                raise
            return survey
        if survey is not None:
            self._latest[slug] = (time.monotonic(), survey)
            self._versions[(slug, survey["version"])] = survey
        return survey

    def version(self, db: Database, slug: str, version: int) -> dict[str, Any] | None:
        survey = self._versions.get((slug, version))
        if survey is None:
            try:
                survey = get_survey(db, slug, version)
            except PyMongoError:
                builtin = _builtin(slug)
                if builtin is None or version != 1:
                    raise
                survey = builtin
            if survey is not None:
                self._versions[(slug, version)] = survey
        return survey


def _builtin(slug: str) -> dict[str, Any] | None:
    """The seeded version 1 of a default survey, as stored."""
    for definition in DEFAULT_SURVEYS:
        if definition["slug"] == slug:
            return {**SurveySchema().load(copy.deepcopy(definition)), "version": 1}
    return None
