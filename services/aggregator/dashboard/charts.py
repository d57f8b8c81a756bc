"""Server-rendered SVG line charts with 95% interval bands: pure, no JavaScript, no CDN.

Sized for reading at 100% zoom: the drawing is 360 units wide, about its width on the page in
both the desktop's three columns and a phone's one, so a 14-unit label is some 13 px high.
Months before the first with data are left out; a month without data inside the range is a gap,
never a zero; each point carries its value as text; points under min-n are drawn grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 360, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 6, 24, 62
PAD = 16  # between the axes and the first and last month


@dataclass(frozen=True)
class Point:
    label: str  # the month, YYYY-MM
    value: float | None
    low: float | None
    high: float | None
    n: int


def _scale(v: float, lo: float, hi: float) -> float:
    v = min(max(v, lo), hi)
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (v - lo) / (hi - lo))


def _runs(flags: Sequence[bool]) -> list[range]:
    """The index ranges of consecutive True flags."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append(range(start, i))
            start = None
    return runs


def _path(pairs: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def band_chart(
    points: Sequence[Point], lo: float, hi: float, digits: int = 0, min_n: int = 0
) -> dict[str, Any]:
    """What the template draws: bands and lines by runs of months with data, dots with their
    values, ticks, month labels (the year under the first and under each January)."""
    first = next((i for i, p in enumerate(points) if p.n > 0), len(points))
    shown = list(points[first:])
    first_x, last_x = LEFT + PAD, WIDTH - RIGHT - PAD  # a value's text clears the axis
    step = (last_x - first_x) / max(1, len(shown) - 1)
    xs = [
        first_x + i * step if len(shown) > 1 else (first_x + last_x) / 2 for i in range(len(shown))
    ]
    intervals = [
        (p.low, p.high) if p.low is not None and p.high is not None else None for p in shown
    ]
    bands, whiskers = [], []
    for run in _runs([ci is not None for ci in intervals]):
        highs = [(xs[i], _scale(intervals[i][1], lo, hi)) for i in run]  # type: ignore[index]
        lows = [(xs[i], _scale(intervals[i][0], lo, hi)) for i in reversed(run)]  # type: ignore[index]
        if len(run) > 1:
            bands.append(_path(highs + lows))
        else:  # a month alone: its interval as a bar
            whiskers.append((highs[0][0], highs[0][1], lows[0][1]))
    values = [p.value for p in shown]
    lines = [
        _path([(xs[i], _scale(values[i], lo, hi)) for i in run])  # type: ignore[arg-type]
        for run in _runs([v is not None for v in values])
        if len(run) > 1
    ]
    dots = []
    for x, p in zip(xs, shown, strict=True):
        if p.value is None:
            continue
        y = _scale(p.value, lo, hi)
        text = f"{p.value:.{digits}f}"
        dots.append(
            {
                "x": x,
                "y": y,
                "text": text,
                "text_y": y - 9 if y - 9 > TOP - 6 else y + 20,
                "low_n": p.n < min_n,
                "title": f"{p.label}: {text}"
                + (f" ({p.low:.{digits}f}–{p.high:.{digits}f})" if p.low is not None else "")
                + f", n = {p.n}",
            }
        )
    months = [
        {
            "x": x,
            "label": p.label[5:],
            "year": p.label[:4] if i == 0 or p.label[5:] == "01" else None,
        }
        for i, (x, p) in enumerate(zip(xs, shown, strict=True))
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "middle": (LEFT + WIDTH - RIGHT) / 2,
        "plot_middle": (TOP + HEIGHT - BOTTOM) / 2,
        "bands": bands,
        "whiskers": whiskers,
        "lines": lines,
        "dots": dots,
        "ticks": [
            (lo + (hi - lo) * k / 4, _scale(lo + (hi - lo) * k / 4, lo, hi)) for k in range(5)
        ],
        "months": months,
        "empty": not dots,
    }
