"""Response webhooks: what a `response.completed` event says, and its delivery record.

The folding worker writes one delivery per completed response of a survey that names a
`webhook_url`, in the same transaction that folds the response, under an id derived from the
response: a re-fold finds it there and adds nothing, so each event is delivered once (and
retried under the same `webhook-id` until it is, as Standard Webhooks expects).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from survey_core.responses import dimensions
from survey_core.statuses import Status

EVENT_TYPE = "response.completed"
DATA_FIELDS = (
    *dimensions.CUSTOMER_FIELDS,  # channel, agent_id, team, reason, survey
    "version",
    "interaction_id",
    "language",
    "month",
    "answers",
)


def message_id(rid: str) -> str:
    """The event's `webhook-id`: stable across retries and re-folds."""
    return "msg_" + hashlib.sha256(f"{EVENT_TYPE}:{rid}".encode()).hexdigest()[:32]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def delivery(record: Mapping[str, Any], url: str) -> dict[str, Any]:
    """The delivery of the `response.completed` event of a completed `record` to `url`."""
    now = datetime.now(UTC)
    data = {name: record.get(name) for name in DATA_FIELDS}
    data["response_id"] = record["_id"]
    data["submitted_at"] = _iso(record.get("submitted_at"))
    return {
        "_id": message_id(record["_id"]),
        "type": EVENT_TYPE,
        "url": url,
        "payload": {"type": EVENT_TYPE, "timestamp": now.isoformat(), "data": data},
        "created_at": now,
        "due_at": now,
        "attempts": 0,
    }


def completed_now(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Did this re-fold complete the response?"""
    return after.get("status") == Status.COMPLETE and before.get("status") != Status.COMPLETE
