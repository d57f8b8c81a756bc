"""A figure's change from the previous month and whether it is significant at 95% (pure).

The tests are those of docs/metrics.md ("Change from the previous month"): a two-proportion
z-test for CSAT and the response rate, the difference of two NPS with their variances, Welch's
t-test for CES (degrees of freedom rounded down), and the conditional Poisson z-test for
complaint counts. `significant` is None where the test cannot be made (too few answers, no
variance in either month).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from survey_core.scoring import Histogram, Z, normalise, t_quantile


def _result(delta: float | None, statistic: float | None, critical: float) -> dict[str, Any]:
    significant = None if statistic is None else abs(statistic) > critical
    return {"delta": delta, "statistic": statistic, "significant": significant}


def proportions(
    previous: tuple[int, int], current: tuple[int, int], scale: float = 100.0
) -> dict[str, Any]:
    """Change of a share (successes, n) between two months, in points of `scale`; pooled
    two-proportion z-test."""
    (x1, n1), (x2, n2) = previous, current
    if n1 <= 0 or n2 <= 0 or not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        return _result(None, None, Z)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return _result(scale * (p2 - p1), (p2 - p1) / se if se > 0 else None, Z)


def csat(previous: Histogram | None, current: Histogram | None) -> dict[str, Any]:
    """Change of CSAT (top-2-box %), in points."""

    def top2(hist: Histogram | None) -> tuple[int, int]:
        h = normalise(hist, 1, 5)
        return h.get(4, 0) + h.get(5, 0), sum(h.values())

    return proportions(top2(previous), top2(current))


def _nps_and_variance(hist: Histogram | None) -> tuple[float, float, int]:
    h = normalise(hist, 0, 10)
    n = sum(h.values())
    if n == 0:
        return 0.0, 0.0, 0
    pro = (h.get(9, 0) + h.get(10, 0)) / n
    det = sum(c for score, c in h.items() if score <= 6) / n
    score = pro - det
    return 100 * score, 100 * 100 * max(0.0, pro + det - score * score) / n, n


def _two_months(
    before: tuple[float, float, int],
    after: tuple[float, float, int],
    se: Callable[[], float],
    critical: Callable[[], float],
) -> dict[str, Any]:
    """The change between two months' (figure, variance, n): no change without answers in
    both; untested with fewer than two in either or no variance in both; else the change
    over its standard error `se()` against `critical()`."""
    (m1, v1, n1), (m2, v2, n2) = before, after
    if n1 == 0 or n2 == 0:
        return _result(None, None, Z)
    if n1 < 2 or n2 < 2 or v1 + v2 == 0:
        return _result(m2 - m1, None, Z)
    return _result(m2 - m1, (m2 - m1) / se(), critical())


def nps(previous: Histogram | None, current: Histogram | None) -> dict[str, Any]:
    """Change of NPS, in points; z = difference / sqrt(se1^2 + se2^2)."""
    before, after = _nps_and_variance(previous), _nps_and_variance(current)
    return _two_months(before, after, lambda: math.sqrt(before[1] + after[1]), lambda: Z)


def _mean_and_variance(hist: Histogram | None) -> tuple[float, float, int]:
    h = normalise(hist, 1, 5)
    n = sum(h.values())
    if n == 0:
        return 0.0, 0.0, 0
    mean = sum(score * count for score, count in h.items()) / n
    if n < 2:
        return mean, 0.0, n
    return mean, sum(c * (s - mean) ** 2 for s, c in h.items()) / (n - 1), n


def welch_df(var1: float, n1: int, var2: float, n2: int) -> int:
    """Welch-Satterthwaite degrees of freedom, rounded down, at least 1."""
    a, b = var1 / n1, var2 / n2
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    return max(1, math.floor(df + 1e-9))


def ces(previous: Histogram | None, current: Histogram | None) -> dict[str, Any]:
    """Change of the CES mean; Welch's t-test against t(0.975, floor(df))."""
    before, after = _mean_and_variance(previous), _mean_and_variance(current)
    (_, v1, n1), (_, v2, n2) = before, after
    return _two_months(
        before,
        after,
        lambda: math.sqrt(v1 / n1 + v2 / n2),
        lambda: t_quantile(welch_df(v1, n1, v2, n2)),
    )


def counts(previous: int, current: int) -> dict[str, Any]:
    """Change of a count of events (complaints): z = (c2 - c1) / sqrt(c1 + c2), the normal
    approximation to the conditional binomial test of two Poisson counts."""
    if previous < 0 or current < 0:
        return _result(None, None, Z)
    delta = float(current - previous)
    if previous + current == 0:
        return _result(delta, None, Z)
    return _result(delta, delta / math.sqrt(previous + current), Z)
