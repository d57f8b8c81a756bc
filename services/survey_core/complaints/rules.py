"""Escalation rules as data (docs/metrics.md, "Escalation"): their shape, the seeded defaults,
and which thresholds a category's counts cross at one minute (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from survey_core.fields import StrictString

LEVELS = ("notice", "level-2", "level-1", "red")  # lowest first
DAY, WEEK = 1440, 7 * 1440
GROWTH_WINDOW = DAY  # the last 24 h against the same 24 h seven days earlier
GENERAL = "general"
CATEGORY = r"^[a-z][a-z0-9-]{0,31}\Z"


def level_rank(level: str) -> int:
    return LEVELS.index(level)


class ThresholdSchema(Schema):
    class Meta:
        unknown = RAISE

    window_minutes = fields.Integer(strict=True, required=True, validate=validate.Range(1, WEEK))
    more_than = fields.Integer(strict=True, required=True, validate=validate.Range(0, 1_000_000))
    level = StrictString(required=True, validate=validate.OneOf(LEVELS))


class GrowthSchema(Schema):
    class Meta:
        unknown = RAISE

    percent = fields.Integer(strict=True, required=True, validate=validate.Range(0, 10_000))
    level = StrictString(required=True, validate=validate.OneOf(LEVELS))


class RuleSchema(Schema):
    class Meta:
        unknown = RAISE

    category = StrictString(required=True, validate=validate.Regexp(CATEGORY))
    thresholds = fields.List(fields.Nested(ThresholdSchema), load_default=list)
    growth = fields.Nested(GrowthSchema, load_default=None, allow_none=True)

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("thresholds") and not data.get("growth"):
            raise ValidationError("A rule needs a threshold or a growth rule.", "thresholds")
        pairs = [(t["window_minutes"], t["more_than"]) for t in data.get("thresholds") or []]
        if len(set(pairs)) != len(pairs):
            raise ValidationError("Each threshold once.", "thresholds")


class RuleSetSchema(Schema):
    class Meta:
        unknown = RAISE

    rules = fields.List(
        fields.Nested(RuleSchema), required=True, validate=validate.Length(min=1, max=200)
    )

    @validates_schema
    def _unique(self, data: dict[str, Any], **_: Any) -> None:
        categories = [r["category"] for r in data.get("rules", [])]
        if len(set(categories)) != len(categories):
            raise ValidationError("Each category once.", "rules")


def _rule(
    category: str, w1: int, n1: int, w2: int, n2: int, level: str, growth: int
) -> dict[str, Any]:
    return {
        "category": category,
        "thresholds": [
            # Three customers reporting one problem at once go to the team lead.
            {"window_minutes": 10, "more_than": 2, "level": "notice"},
            {"window_minutes": w1, "more_than": n1, "level": level},
            {"window_minutes": w2, "more_than": n2, "level": level},
        ],
        "growth": {"percent": growth, "level": level},
    }


# The escalation table of our source material.
DEFAULT_RULES: list[dict[str, Any]] = [
    _rule("login", 30, 5, 180, 10, "level-1", 10),
    _rule("payment", 30, 10, 180, 20, "red", 20),
    _rule("reading", 30, 20, 180, 40, "red", 30),
    _rule("general", 30, 10, 180, 20, "level-2", 20),
    _rule("non-core", 30, 20, 180, 30, "level-1", 30),
    _rule("campaign", 30, 30, 180, 50, "red", 40),
    _rule("intermittent", DAY, 5, WEEK, 10, "level-2", 10),
]


def category_in_force(rules: Sequence[Mapping[str, Any]], category: str) -> str:
    """A category no rule names counts as `general`."""
    return category if any(r["category"] == category for r in rules) else GENERAL


@dataclass(frozen=True)
class Crossing:
    window_minutes: int
    level: str
    count: int


def windows(rule: Mapping[str, Any], t: int) -> list[tuple[int, int]]:
    """The (first, last) minutes whose counts `rule` needs at minute `t`."""
    found = [(t - th["window_minutes"] + 1, t) for th in rule.get("thresholds") or []]
    if rule.get("growth"):
        found += [(t - DAY + 1, t), (t - WEEK - DAY + 1, t - WEEK)]
    return found


def crossings(
    rule: Mapping[str, Any], t: int, count: Callable[[int, int], int], min_baseline: int
) -> dict[int, Crossing]:
    """Per window length, the highest level `rule` crosses at minute `t` (strict thresholds),
    with the count at the crossing that set it. `count(first, last)` counts the category's
    complaints of minutes first..last."""
    found: dict[int, Crossing] = {}

    def cross(window: int, level: str, n: int) -> None:
        held = found.get(window)
        if held is None or level_rank(level) > level_rank(held.level):
            found[window] = Crossing(window, level, n)

    for th in rule.get("thresholds") or []:
        n = count(t - th["window_minutes"] + 1, t)
        if n > th["more_than"]:
            cross(th["window_minutes"], th["level"], n)
    growth = rule.get("growth")
    if growth:
        now, base = count(t - DAY + 1, t), count(t - WEEK - DAY + 1, t - WEEK)
        if base >= min_baseline and now * 100 > base * (100 + growth["percent"]):
            cross(GROWTH_WINDOW, growth["level"], now)
    return found
