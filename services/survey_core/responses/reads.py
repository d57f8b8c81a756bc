"""Reads of response records that reports need besides the rollups: a month's records by id,
its newest comments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from survey_core.documents import Db
from survey_core.responses.dimensions import TRAINING_CHANNEL


def scored(db: Db, rids: Iterable[str], month: str, metric: str) -> dict[str, dict[str, Any]]:
    """The records of `month` among `rids` that have a `metric` score: their scores and
    agent and team."""
    found = db.responses.find(
        {"_id": {"$in": list(rids)}, "month": month, f"scores.{metric}": {"$exists": True}},
        {"scores": 1, "agent_id": 1, "team": 1},
    )
    return {d["_id"]: d for d in found}


def newest_comments(db: Db, month: str, question: str, limit: int) -> list[dict[str, Any]]:
    """The month's newest customer answers to `question` (never a trainee's), with their
    transcript, agent and scores."""
    found = (
        db.responses.find(
            {
                "month": month,
                f"answers.{question}": {"$exists": True},
                "channel": {"$ne": TRAINING_CHANNEL},
            },
            {f"answers.{question}": 1, f"transcripts.{question}": 1, "agent_id": 1, "scores": 1},
        )
        .sort("submitted_at", -1)
        .limit(limit)
    )
    return list(found)
