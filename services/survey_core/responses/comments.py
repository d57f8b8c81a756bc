"""Reads of customers' comments for the dashboard's comment list: a month's, filtered by the
contact's dimensions and a score band, newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_core.documents import Db
from survey_core.responses.dimensions import CUSTOMER, TRAINING_CHANNEL


def page_of_comments(
    db: Db,
    month: str,
    question: str,
    filters: Mapping[str, str],
    band: tuple[str, int, int] | None,
    skip: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` customer answers to `question` in `month` after the first `skip`, newest
    first: `filters` maps dimension names (agent, team, reason, channel) to values, `band` is
    (metric, lowest, highest) of the record's score. Never a trainee's."""
    query: dict[str, Any] = {
        "month": month,
        f"answers.{question}": {"$exists": True},
        "channel": {"$ne": TRAINING_CHANNEL},
    }
    for name, value in filters.items():
        field = CUSTOMER[name]
        query[field] = (
            {"$eq": value, "$ne": TRAINING_CHANNEL} if field == "channel" else {"$eq": value}
        )
    if band is not None:
        metric, lowest, highest = band
        query[f"scores.{metric}"] = {"$gte": lowest, "$lte": highest}
    fields = {
        f"answers.{question}": 1,
        f"transcripts.{question}": 1,
        "scores": 1,
        "interaction_id": 1,
        "submitted_at": 1,
        **{field: 1 for field in CUSTOMER.values()},
    }
    found = db.responses.find(query, fields).sort([("submitted_at", -1), ("_id", 1)])
    return list(found.skip(skip).limit(limit))
