"""The monthly best trainer (DESIGN.md, "Metric definitions"): pure functions over histograms.

Trainer score = Bayesian average of trainees' `overall` ratings, (n*mean + m*C) / (n + m), where
C is the month's mean `overall` over every evaluation (every trainer's) and m the minimum sample
(MIN_TRAINER_SAMPLE, default 5). A trainer with fewer than m evaluations is listed but is not
eligible to be best. Order: higher score first; ties: more evaluations first, then trainer id.
"""

from __future__ import annotations

from typing import Any

from survey_core import scoring
from survey_core.scoring import Histogram
from survey_core.surveys.schema import RATING_SCALE


def rating(hist: Histogram | None) -> dict[str, Any]:
    """Mean of 1-5 ratings with its t interval (none when n < 2), and n."""
    h = scoring.normalise(hist, *RATING_SCALE)
    mean, ci = scoring.mean_interval(h)
    return {"mean": mean, "ci": ci, "n": sum(h.values())}


def bayesian_average(n: int, mean: float | None, m: int, c: float | None) -> float | None:
    """(n*mean + m*C) / (n + m); the plain mean when m is 0; None without any evaluation."""
    if n + m == 0 or (n and mean is None) or (m and c is None):
        return None
    return (n * (mean or 0.0) + m * (c or 0.0)) / (n + m)


def rank(rows: list[dict[str, Any]], m: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """`rows` ({trainer_id, overall: {mean, n}, ...}) with `bayes_score`, `eligible` and
    `rank` (1 = first), ordered; and the best eligible row (or None)."""
    total_n = sum(r["overall"]["n"] for r in rows)
    c = (
        sum(r["overall"]["mean"] * r["overall"]["n"] for r in rows if r["overall"]["n"]) / total_n
        if total_n
        else None
    )
    scored = [
        {
            **r,
            "bayes_score": bayesian_average(r["overall"]["n"], r["overall"]["mean"], m, c),
            "eligible": r["overall"]["n"] >= m,
        }
        for r in rows
    ]
    scored.sort(
        key=lambda r: (
            r["bayes_score"] is None,
            -(r["bayes_score"] or 0.0),
            -r["overall"]["n"],
            str(r["trainer_id"]),
        )
    )
    for position, row in enumerate(scored, start=1):
        row["rank"] = position
    best = next((r for r in scored if r["eligible"] and r["bayes_score"] is not None), None)
    return scored, best
