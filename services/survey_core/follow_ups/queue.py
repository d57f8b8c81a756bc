"""Closing the loop: a response whose scores are at or below its survey's thresholds is
queued (`followup_queue`, keyed by the response) for a follow-up and a complaint, once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_core import sealing
from survey_core.responses import dimensions
from survey_core.statuses import FINAL

DEFAULT = {"csat_max": 2, "nps_max": 6}
QUEUED_FIELDS = (
    *dimensions.CUSTOMER_FIELDS,  # channel, agent_id, team, reason, survey
    "interaction_id",
    "month",
    "scores",
    "low_score_reasons",
    "started_at",
    "submitted_at",
)


def unhappy(record: Mapping[str, Any], survey: Mapping[str, Any] | None) -> bool:
    """CSAT or NPS at or below the survey's thresholds (default CSAT <= 2 or NPS <= 6)."""
    limits = (survey or {}).get("follow_up") or DEFAULT
    scores = record.get("scores") or {}
    csat, nps = scores.get("csat"), scores.get("nps")
    return (csat is not None and csat <= limits["csat_max"]) or (
        nps is not None and nps <= limits["nps_max"]
    )


def queued(
    before: Mapping[str, Any], after: Mapping[str, Any], survey: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The queue entry of a response that has just ended unhappy, else None."""
    if after.get("status") not in FINAL or before.get("status") in FINAL:
        return None
    if after.get("channel") == "training" or not unhappy(after, survey):
        return None
    entry = {name: after.get(name) for name in QUEUED_FIELDS}
    entry["comment"] = next(
        (
            v
            for k, v in (after.get("answers") or {}).items()
            if sealing.is_text(v) and k == "comment"
        ),
        None,
    ) or next(iter((after.get("transcripts") or {}).values()), None)
    return {"_id": after["_id"], **entry}
