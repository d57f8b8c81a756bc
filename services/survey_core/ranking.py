"""The monthly best trainer (docs/metrics.md, "Best trainer"): pure functions over histograms.

Trainer score = Bayesian average of trainees' `overall` ratings, (n*mean + m*C) / (n + m), where
C is the month's mean `overall` over every evaluation (every trainer's) and m the minimum sample
(MIN_TRAINER_SAMPLE, default 5). A trainer with fewer than m evaluations is listed but is not
eligible to be best. Order: higher score first; ties: more evaluations first, then trainer id.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from survey_core import scoring
from survey_core.scoring import Histogram
from survey_core.surveys.schema import RATING_SCALE


def rating(hist: Histogram | None) -> dict[str, Any]:
    """Mean of 1-5 ratings with its t interval (none when n < 2), and n."""
    h = scoring.normalise(hist, *RATING_SCALE)
    mean, ci = scoring.mean_interval(h, RATING_SCALE)
    return {"mean": mean, "ci": ci, "n": sum(h.values())}


def bayesian_average(n: int, mean: float | None, m: int, c: float | None) -> float | None:
    """(n*mean + m*C) / (n + m); the plain mean when m is 0; None without any evaluation."""
    if n + m == 0 or (n and mean is None) or (m and c is None):
        return None
    return (n * (mean or 0.0) + m * (c or 0.0)) / (n + m)


def rank(rows: list[dict[str, Any]], m: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """`rows` ({trainer_id, overall: {mean, n}, ...}) with `bayes_score`, `eligible` and
    `rank` (1 = first), ordered; and the best eligible row (or None).

    Computed in exact fractions (ratings are whole numbers, so n * mean is a whole sum): two
    trainers with equal scores tie exactly, and the tie rules decide.
    """
    totals = {
        id(r): round(r["overall"]["mean"] * r["overall"]["n"]) if r["overall"]["n"] else 0
        for r in rows
    }
    all_n = sum(r["overall"]["n"] for r in rows)
    c = Fraction(sum(totals.values()), all_n) if all_n else None
    exact: dict[int, Fraction | None] = {}
    for r in rows:
        n = r["overall"]["n"]
        exact[id(r)] = None if n + m == 0 or c is None else (totals[id(r)] + m * c) / (n + m)
    order = sorted(
        rows,
        key=lambda r: (
            exact[id(r)] is None,
            -(exact[id(r)] or 0),
            -r["overall"]["n"],
            str(r["trainer_id"]),
        ),
    )
    ranked = []
    for position, row in enumerate(order, start=1):
        score = exact[id(row)]
        ranked.append(
            {
                **row,
                "rank": position,
                "bayes_score": float(score) if score is not None else None,
                "eligible": row["overall"]["n"] >= m,
            }
        )
    best = next((r for r in ranked if r["eligible"] and r["bayes_score"] is not None), None)
    return ranked, best
