"""Versioned survey definitions (the `surveys` collection): validation, publishing, progress."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from survey_core.documents import Db
from survey_core.statuses import Status
from survey_core.surveys.schema import SurveySchema, normalised


def _content(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k not in ("_id", "version", "created_at")}


def publish_survey(db: Db, definition: dict[str, Any]) -> dict[str, Any]:
    """Validate and store `definition` as a new version, unless it equals the latest one."""
    data = normalised(SurveySchema().load(_content(copy.deepcopy(definition))))
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


def seed_surveys(db: Db, definitions: Iterable[dict[str, Any]]) -> None:
    """Make sure each definition has at least its first version (idempotent)."""
    for definition in definitions:
        if db.surveys.count_documents({"slug": definition["slug"]}, limit=1) == 0:
            publish_survey(db, definition)


def as_stored(definition: dict[str, Any], version: int = 1) -> dict[str, Any]:
    """A definition validated and shaped as its stored version `version` (defaults filled)."""
    data = normalised(SurveySchema().load(_content(copy.deepcopy(definition))))
    return {**data, "version": version}


def question(
    key: str, kind: str, zh: str, en: str, required: bool = True, **extra: Any
) -> dict[str, Any]:
    """One question of a definition, with its prompt in both languages."""
    return {
        "key": key,
        "type": kind,
        "prompt": {"zh-CN": zh, "en-US": en},
        "required": required,
        **extra,
    }


def channels_of(survey: dict[str, Any]) -> list[str]:
    """Where a survey may be used (a definition stored before `channels` named one)."""
    return list(survey.get("channels") or [survey["channel"]])


def localised(texts: dict[str, str], language: str) -> str:
    """Pick `language` from a {lang: text} mapping of a definition (else its first text)."""
    return texts.get(language) or next(iter(texts.values()))


def final_status(survey: dict[str, Any] | None, reached: int) -> Status:
    """complete once every required question was put and passed; else partial."""
    if survey is None:
        return Status.PARTIAL
    required = [i for i, q in enumerate(survey["questions"]) if q.get("required", True)]
    last_required = required[-1] if required else -1
    return Status.COMPLETE if reached > last_required else Status.PARTIAL


def question_key_at(survey: dict[str, Any] | None, index: int) -> str | None:
    """The key of the question at `index` (the last one when past the end)."""
    if survey is None:
        return None
    questions = survey["questions"]
    key: str = questions[min(index, len(questions) - 1)]["key"]
    return key


def get_survey(db: Db, slug: str, version: int | None = None) -> dict[str, Any] | None:
    """The latest version of survey `slug` (or the given version); None if there is none."""
    query: dict[str, Any] = {"slug": slug}
    if version is not None:
        query["version"] = version
    return db.surveys.find_one(query, {"_id": 0}, sort=[("version", DESCENDING)])
