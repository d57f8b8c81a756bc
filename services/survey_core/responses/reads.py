"""Reads of response records that reports need besides the rollups: a month's records by id,
its newest comments, one contact's record, the QA sampling frame, rows paged by `_id`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from survey_core.documents import Db
from survey_core.responses.dimensions import CUSTOMER, TRAINING_CHANNEL
from survey_core.statuses import FINAL
from survey_core.storage.lookups import find_in


def scored(db: Db, rids: Iterable[str], month: str, metric: str) -> dict[str, dict[str, Any]]:
    """The records of `month` among `rids` that have a `metric` score: their scores and
    agent and team."""
    found = find_in(
        db.responses,
        "_id",
        rids,
        {"month": month, f"scores.{metric}": {"$exists": True}},
        {"scores": 1, "agent_id": 1, "team": 1},
    )
    return {d["_id"]: d for d in found}


def newest_comments(
    db: Db, month: str, question: str, limit: int, agent: str | None = None
) -> list[dict[str, Any]]:
    """The month's newest customer answers to `question` (never a trainee's), with their
    transcript, agent and scores; only `agent`'s when named."""
    query: dict[str, Any] = {
        "month": month,
        f"answers.{question}": {"$exists": True},
        "channel": {"$ne": TRAINING_CHANNEL},
    }
    if agent is not None:
        query["agent_id"] = agent
    found = (
        db.responses.find(
            query,
            {f"answers.{question}": 1, f"transcripts.{question}": 1, "agent_id": 1, "scores": 1},
        )
        .sort("submitted_at", -1)
        .limit(limit)
    )
    return list(found)


def contact(db: Db, rid: str) -> dict[str, Any] | None:
    """One customer contact's record (never a trainee's evaluation), by its response id."""
    return db.responses.find_one({"_id": rid, "channel": {"$ne": TRAINING_CHANNEL}})


def sampling_frame(db: Db, month: str, agent: str | None = None) -> list[dict[str, Any]]:
    """The month's customer contacts that were surveyed to the end (or part of the way) and
    name an agent (`agent` alone when given): their agent, times and scores."""
    query: dict[str, Any] = {
        "month": month,
        "channel": {"$ne": TRAINING_CHANNEL},
        "status": {"$in": [s.value for s in FINAL]},
        "agent_id": {"$type": "string"} if agent is None else agent,
    }
    fields = {"agent_id": 1, "submitted_at": 1, "started_at": 1, "scores": 1, "status": 1}
    return list(db.responses.find(query, fields))


def rows(
    db: Db,
    months: list[str],
    filters: Mapping[str, str | None],
    status: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Customer records of `months` matching `filters` (dimension name -> value) and `status`,
    in `_id` order after the id `after`: at most `limit`, without free text."""
    query: dict[str, Any] = {"month": {"$in": months}, "channel": {"$ne": TRAINING_CHANNEL}}
    for name, value in filters.items():
        if value is not None:
            field = CUSTOMER[name]
            query[field] = {"$eq": value, "$ne": TRAINING_CHANNEL} if field == "channel" else value
    if status is not None:
        query["status"] = status
    if after is not None:
        query["_id"] = {"$gt": after}
    fields = {name: 1 for name in (*CUSTOMER.values(), *ROW_FIELDS)}
    return list(db.responses.find(query, fields).sort("_id", 1).limit(limit))


# What a row for reporting tools holds besides the dimensions: never free text.
ROW_FIELDS = (
    "interaction_id", "version", "language", "month", "status", "started_at", "submitted_at",
    "scores", "ratings", "last_question_reached",
)  # fmt: skip
