"""The low-score breakdown by reason: why customers who scored CSAT 1-2 or NPS 0-6 did so.

Read like every report (the rollups plus the events not folded yet, `queries.monthly_docs`):
each low-score response counts once under every reason it gave, or under `(none)` when it
gave none (not asked, skipped, or the call ended first). `n` is the month's low scores of the
metric (its histogram), each row's share is of `n`, with a Wilson 95% interval. These are the
customers' reasons for a score, not the contact's `reason` dimension.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING

from survey_core import scoring
from survey_core.documents import Db
from survey_core.reports import queries
from survey_core.reports.snapshot import Snapshot
from survey_core.surveys.low_scores import LOW_SCORES, NONE_GIVEN
from survey_core.surveys.schema import REASON

METRICS = tuple(LOW_SCORES)  # csat, nps


def low_score_reasons(
    snap: Snapshot, month: str, metric: str, channel: str | None = None
) -> dict[str, Any]:
    """The month's low `metric` scores broken down by the reasons given for them."""
    merged = queries.monthly_docs(snap, [month], {"channel": channel})[month]
    low, high = LOW_SCORES[metric]
    histogram = merged.get(metric) or {}
    n = sum(int(histogram.get(str(score), 0)) for score in range(low, high + 1))
    counts = (merged.get("low_reasons") or {}).get(metric) or {}
    labels = reason_labels(snap.db)
    rows = [
        {
            "reason": reason,
            "label": labels.get(reason),
            "n": count,
            "pct": 100 * count / n if n else None,
            "interval": scoring.wilson(min(count, n), n),
        }
        for reason, count in counts.items()
        if count
    ]
    rows.sort(key=lambda r: (r["reason"] == NONE_GIVEN, -r["n"], r["reason"]))
    return {
        "month": month,
        "metric": metric,
        "channel": channel,
        "low_scores": [low, high],
        "n": n,
        "rows": rows,
    }


def reason_labels(db: Db) -> dict[str, dict[str, str]]:
    """{reason value: its labels} from the surveys' reason questions (the newest version's
    label wins)."""
    labels: dict[str, dict[str, str]] = {}
    found = db.surveys.find(
        {"questions.type": REASON}, {"_id": 0, "questions": 1}, sort=[("version", DESCENDING)]
    )
    for survey in found:
        for q in survey["questions"]:
            if q["type"] == REASON:
                for choice in q.get("choices") or []:
                    labels.setdefault(choice["value"], choice["label"])
    return labels
