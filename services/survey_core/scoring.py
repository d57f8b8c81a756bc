"""CSAT, NPS and CES from histograms (counts per score), with n and 95% intervals.

Pure functions: every figure is computed exactly from counts, so merging histograms and then
scoring equals scoring the concatenated answers. Definitions: DESIGN.md, "Metric definitions".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

# Imported with the module, not on the first report (it takes most of a second).
from scipy.stats import t as student_t

# The exact 0.975 quantile of the standard normal (R's qnorm(0.975)).
Z = 1.959963984540054
Histogram = Mapping[int | str, int]


@lru_cache(maxsize=4096)
def t_quantile(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (scipy, exact)."""
    return float(student_t.ppf(0.975, df))


def normalise(hist: Histogram | None, low: int, high: int) -> dict[int, int]:
    """Integer keys within [low, high]; counts outside the scale are ignored."""
    result: dict[int, int] = {}
    for key, count in (hist or {}).items():
        score = int(key)
        if low <= score <= high and count:
            result[score] = result.get(score, 0) + int(count)
    return result


def merge(histograms: Iterable[Histogram | None]) -> dict[str, int]:
    """Sum histograms (keys as strings, as stored)."""
    total: dict[str, int] = {}
    for hist in histograms:
        for key, count in (hist or {}).items():
            total[str(key)] = total.get(str(key), 0) + int(count)
    return total


def mean_interval(hist: Mapping[int, int]) -> tuple[float | None, list[float] | None]:
    """Mean and its t interval (sd with n-1); no interval when n < 2."""
    n = sum(hist.values())
    if n == 0:
        return None, None
    mean = sum(score * count for score, count in hist.items()) / n
    if n < 2:
        return mean, None
    ss = sum(count * (score - mean) ** 2 for score, count in hist.items())
    half = t_quantile(n - 1) * math.sqrt(ss / (n - 1)) / math.sqrt(n)
    return mean, [mean - half, mean + half]


def wilson(successes: int, n: int) -> list[float] | None:
    """Wilson score interval of a proportion, in percent."""
    if n == 0:
        return None
    p = successes / n
    z2 = Z * Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return [100 * max(0.0, centre - half), 100 * min(1.0, centre + half)]


def csat(hist: Histogram | None) -> dict[str, Any]:
    """Top-2-box CSAT % (answers of 4 or 5) with a Wilson interval; mean with a t interval."""
    h = normalise(hist, 1, 5)
    n = sum(h.values())
    mean, mean_ci = mean_interval(h)
    top2 = h.get(4, 0) + h.get(5, 0)
    return {
        "value": 100 * top2 / n if n else None,
        "mean": mean,
        "n": n,
        "ci": wilson(top2, n),
        "mean_ci": mean_ci,
    }


def _nps_parts(promoters: float, detractors: float, n: float) -> tuple[float, float]:
    """Score (-1..1) and its standard error for the given (possibly adjusted) counts."""
    p_pro, p_det = promoters / n, detractors / n
    score = p_pro - p_det
    variance = max(0.0, p_pro + p_det - score * score)
    return score, math.sqrt(variance / n)


def nps(hist: Histogram | None, interval: str = "adjusted") -> dict[str, Any]:
    """NPS = %promoters (9-10) - %detractors (0-6) with se and a 95% interval.

    `adjusted` (default): Rocks (2016) adjusted Wald, adding 0.75 detractors, 1.5 passives and
    0.75 promoters, centred on the adjusted score, clipped to -100..100. `wald`: raw score
    +- z*se. The point estimate is always the raw score.
    """
    if interval not in ("adjusted", "wald"):
        raise ValueError("interval must be 'adjusted' or 'wald'")
    h = normalise(hist, 0, 10)
    n = sum(h.values())
    promoters = h.get(9, 0) + h.get(10, 0)
    passives = h.get(7, 0) + h.get(8, 0)
    detractors = n - promoters - passives
    result: dict[str, Any] = {
        "value": None,
        "n": n,
        "se": None,
        "ci": None,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "promoters_pct": 100 * promoters / n if n else None,
        "passives_pct": 100 * passives / n if n else None,
        "detractors_pct": 100 * detractors / n if n else None,
    }
    if n == 0:
        return result
    score, se = _nps_parts(promoters, detractors, n)
    result.update(value=100 * score, se=100 * se)
    if interval == "wald":
        result["ci"] = [100 * (score - Z * se), 100 * (score + Z * se)]
    else:
        adj, adj_se = _nps_parts(promoters + 0.75, detractors + 0.75, n + 3)
        result["ci"] = [max(-100.0, 100 * (adj - Z * adj_se)), min(100.0, 100 * (adj + Z * adj_se))]
    return result


def ces(hist: Histogram | None) -> dict[str, Any]:
    """CES = mean of 1-5 answers (lower is better) with a t interval; % of 1-2 answers."""
    h = normalise(hist, 1, 5)
    n = sum(h.values())
    mean, ci = mean_interval(h)
    low = h.get(1, 0) + h.get(2, 0)
    return {"value": mean, "n": n, "ci": ci, "low_effort_pct": 100 * low / n if n else None}
