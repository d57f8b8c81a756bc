"""Server-rendered SVG line charts with 95% interval bands: pure, no JavaScript, no CDN."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True)
class Point:
    label: str  # the month
    value: float | None
    low: float | None
    high: float | None
    n: int


def _scale(v: float, lo: float, hi: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (v - lo) / (hi - lo))


def band_chart(points: Sequence[Point], lo: float, hi: float) -> dict:
    """Coordinates for the template: the line, the band polygon, the ticks."""
    step = (WIDTH - LEFT - RIGHT) / max(1, len(points) - 1)
    xs = [LEFT + i * step for i in range(len(points))]
    line = [
        (x, _scale(p.value, lo, hi)) for x, p in zip(xs, points, strict=True) if p.value is not None
    ]
    upper = [
        (x, _scale(p.high, lo, hi)) for x, p in zip(xs, points, strict=True) if p.high is not None
    ]
    lower = [
        (x, _scale(p.low, lo, hi)) for x, p in zip(xs, points, strict=True) if p.low is not None
    ]
    band = upper + lower[::-1]
    ticks = [(lo + (hi - lo) * k / 4, _scale(lo + (hi - lo) * k / 4, lo, hi)) for k in range(5)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "line": " ".join(f"{x:.1f},{y:.1f}" for x, y in line),
        "dots": line,
        "band": " ".join(f"{x:.1f},{y:.1f}" for x, y in band),
        "ticks": ticks,
        "labels": [(x, p.label[2:]) for x, p in zip(xs, points, strict=True)],
    }
