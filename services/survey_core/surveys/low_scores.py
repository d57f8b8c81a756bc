"""Low scores and the reasons customers give for them (not the contact's own `reason`).

A low score is a CSAT of 1-2 (dissatisfied) or an NPS of 0-6 (a detractor), whatever the
survey; the default surveys ask a `reason` question after either. A response's low-score
reasons are its answers to reason questions, filed under each metric it scored low on that the
question follows (its display condition tests that metric's question; a reason question
that tests no scored question follows every metric).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_core.surveys.conditions import referenced
from survey_core.surveys.definitions import question
from survey_core.surveys.schema import REASON

# The scores counted as low, per metric (inclusive ranges).
LOW_SCORES: dict[str, tuple[int, int]] = {"csat": (1, 2), "nps": (0, 6)}
NONE_GIVEN = "(none)"  # a low score without a reason (not asked, skipped, not yet answered)
# Asked after a low CSAT or NPS by the default IVR and web surveys.
ASK_AFTER_LOW_SCORE: dict[str, Any] = {
    "any": [{"csat": {"lte": LOW_SCORES["csat"][1]}}, {"nps": {"lte": LOW_SCORES["nps"][1]}}]
}
DEFAULT_REASONS = [
    {"value": "waiting", "label": {"zh-CN": "等待时间太长", "en-US": "waiting time"}},
    {"value": "unresolved", "label": {"zh-CN": "问题没有解决", "en-US": "problem not solved"}},
    {"value": "attitude", "label": {"zh-CN": "服务态度", "en-US": "staff attitude"}},
    {"value": "unclear", "label": {"zh-CN": "解释不清楚", "en-US": "unclear explanation"}},
    {"value": "transfers", "label": {"zh-CN": "多次转接", "en-US": "too many transfers"}},
    {"value": "other", "label": {"zh-CN": "其他原因", "en-US": "something else"}},
]


def default_reason_question(zh: str, en: str) -> dict[str, Any]:
    """The default surveys' reason question, asked after a low CSAT or NPS; optional, so a
    widget or form written before it was asked still submits (its low scores count under
    `(none)`)."""
    return {
        **question("low_score_reason", REASON, zh, en, required=False),
        "choices": DEFAULT_REASONS,
        "show_if": ASK_AFTER_LOW_SCORE,
    }


def low(metric: str, score: Any) -> bool:
    """Whether `score` is a low `metric` score."""
    if metric not in LOW_SCORES or type(score) is not int:
        return False
    return LOW_SCORES[metric][0] <= score <= LOW_SCORES[metric][1]


def low_score_reasons(
    record: Mapping[str, Any], survey: Mapping[str, Any] | None
) -> dict[str, list[str]]:
    """{metric: [reason values]} for each metric `record` scored low on (an empty list: no
    reason given); {} without the survey (its reason questions are unknown)."""
    if survey is None:
        return {}
    scores = record.get("scores") or {}
    answers = record.get("answers") or {}
    key_of = {q["type"]: q["key"] for q in survey["questions"] if q["type"] in LOW_SCORES}
    found: dict[str, list[str]] = {}
    for metric in LOW_SCORES:
        if not low(metric, scores.get(metric)):
            continue
        found[metric] = sorted(
            {
                answers[q["key"]]
                for q in survey["questions"]
                if q["type"] == REASON
                and isinstance(answers.get(q["key"]), str)
                and _follows(q, metric, key_of)
            }
        )
    return found


def _follows(reason_question: Mapping[str, Any], metric: str, key_of: Mapping[str, str]) -> bool:
    tested = referenced(reason_question["show_if"]) if reason_question.get("show_if") else set()
    scored = tested & set(key_of.values())
    return not scored or key_of.get(metric) in scored
