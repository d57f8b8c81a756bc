"""Calibration statistics (docs/metrics.md, "Calibration"): pure functions over paired scores.

- Monitor vs customer: Spearman's r with the Bonett-Wright 95% interval
  tanh(atanh(r) +- z * sqrt((1 + r^2 / 2) / (n - 3))), none when n < 4; the mean difference
  monitor - customer, both on 0-100 (CSAT as (CSAT - 1) x 25).
- Agent self-rating vs customer, each satisfied (4-5) or not: agreement in percent and Cohen's
  kappa (null when chance agreement is 1); a flag when >= 95% of the self-ratings say satisfied
  while the customers' satisfied share on the same contacts is below it, with n >= 20.
- Monitor vs monitor: Krippendorff's alpha, interval metric.

Pure Python (no numpy, scipy or krippendorff: they cost each worker ~75 MB for a few sums);
the figures equal scipy.stats.spearmanr and krippendorff.alpha to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Z = 1.959963984540054
FLAG_SHARE = 0.95
FLAG_MIN_N = 20


def csat_on_100(csat: int) -> float:
    return (csat - 1) * 25.0


def ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, ties given the mean of the ranks they span (scipy's "average")."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            out[i] = (start + end) / 2 + 1
        start = end + 1
    return out


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's r of two samples that both vary."""
    n = len(xs)
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    dx, dy = [x - mx for x in xs], [y - my for y in ys]
    cov = math.fsum(a * b for a, b in zip(dx, dy, strict=True))
    r = cov / math.sqrt(math.fsum(a * a for a in dx) * math.fsum(b * b for b in dy))
    return max(-1.0, min(1.0, r))


def spearman(xs: Sequence[float], ys: Sequence[float]) -> dict[str, Any]:
    """r, its 95% interval (n >= 4) and n; r is null when either side does not vary."""
    n = len(xs)
    if n < 2 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return {"r": None, "ci": None, "n": n}
    r = pearson(ranks(xs), ranks(ys))
    if n < 4:
        return {"r": r, "ci": None, "n": n}
    if abs(r) >= 1.0:
        return {"r": r, "ci": [r, r], "n": n}
    se = math.sqrt((1 + r * r / 2) / (n - 3))
    centre = math.atanh(r)
    return {"r": r, "ci": [math.tanh(centre - Z * se), math.tanh(centre + Z * se)], "n": n}


def monitor_vs_customer(pairs: Sequence[tuple[float, int]]) -> dict[str, Any]:
    """(monitor total 0-100, customer CSAT 1-5) per contact."""
    monitor = [float(m) for m, _ in pairs]
    customer = [csat_on_100(c) for _, c in pairs]
    n = len(pairs)
    return {
        "n": n,
        "monitor_mean": sum(monitor) / n if n else None,
        "customer_mean": sum(customer) / n if n else None,  # on 0-100
        "customer_csat_mean": sum(c for _, c in pairs) / n if n else None,  # on 1-5
        "spearman": spearman(monitor, customer),
        "mean_difference": (sum(monitor) - sum(customer)) / n if n else None,
    }


def satisfied(score: int) -> bool:
    return score >= 4


def self_vs_customer(pairs: Sequence[tuple[int, int]], share: float = FLAG_SHARE) -> dict[str, Any]:
    """(agent's self-rating 1-5, customer CSAT 1-5) per contact; flagged at `share`."""
    n = len(pairs)
    if n == 0:
        return {
            "n": 0,
            "agreement_pct": None,
            "kappa": None,
            "self_satisfied_pct": None,
            "customer_satisfied_pct": None,
            "flagged": False,
        }
    own = [satisfied(a) for a, _ in pairs]
    theirs = [satisfied(c) for _, c in pairs]
    agree = sum(1 for a, c in zip(own, theirs, strict=True) if a == c) / n
    p_own, p_theirs = sum(own) / n, sum(theirs) / n
    chance = p_own * p_theirs + (1 - p_own) * (1 - p_theirs)
    kappa = None if math.isclose(chance, 1.0) else (agree - chance) / (1 - chance)
    return {
        "n": n,
        "agreement_pct": 100 * agree,
        "kappa": kappa,
        "self_satisfied_pct": 100 * p_own,
        "customer_satisfied_pct": 100 * p_theirs,
        "flagged": n >= FLAG_MIN_N and p_own >= share and p_theirs < share,
    }


def alpha(scores: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Krippendorff's alpha (interval) of {contact: {monitor: total}}, over contacts with two or
    more monitors; n = such contacts."""
    shared = {c: s for c, s in scores.items() if len(s) >= 2}
    monitors = sorted({m for s in shared.values() for m in s})
    if len(shared) < 1 or len(monitors) < 2:
        return {"alpha": None, "n": len(shared)}
    values = {v for s in shared.values() for v in s.values()}
    if len(values) < 2:  # no variation at all: perfect agreement, alpha undefined
        return {"alpha": None, "n": len(shared)}
    return {"alpha": _interval_alpha([list(s.values()) for s in shared.values()]), "n": len(shared)}


def _interval_alpha(units: list[list[float]]) -> float:
    """Krippendorff's alpha, interval metric, of units of two or more values each: 1 - D_o/D_e
    with D_o = sum over units of sum_{i != j} (v_i - v_j)^2 / (m_u - 1), over n, and
    D_e = sum_{i != j} over all n values of (v_i - v_j)^2, over n(n - 1); each sum of squared
    differences of m values is 2m times their sum of squared deviations from their mean."""
    every = [float(v) for unit in units for v in unit]
    n = len(every)

    def squared_deviations(values: Sequence[float]) -> float:
        mean = math.fsum(values) / len(values)
        return math.fsum((v - mean) ** 2 for v in values)

    observed = (
        math.fsum(2 * len(unit) * squared_deviations(unit) / (len(unit) - 1) for unit in units) / n
    )
    expected = 2 * n * squared_deviations(every) / (n * (n - 1))
    return 1 - observed / expected


def pairwise_alpha(scores: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    """Alpha for every pair of monitors on the contacts both scored."""
    monitors = sorted({m for s in scores.values() for m in s})
    out = []
    for i, a in enumerate(monitors):
        for b in monitors[i + 1 :]:
            both = {c: {a: s[a], b: s[b]} for c, s in scores.items() if a in s and b in s}
            if both:
                out.append({"monitors": [a, b], **alpha(both)})
    return out
