"""Fixtures for the aggregator: the app, a read key, and responses stored the real way."""

from datetime import UTC, datetime

import pytest

import aggregator
from tests.pipeline import submit


@pytest.fixture
def app(config):
    return aggregator.create_app(config)


@pytest.fixture
def add(db):
    """Submit one whole questionnaire with the given scores and dimensions (not folded yet:
    reports fold it in memory)."""
    counter = iter(range(1, 10**6))

    def store(
        month="2026-10",
        channel="web",
        agent="A1",
        team="north",
        reason="billing",
        survey="post-contact",
        **scores,
    ):
        i = next(counter)
        year, mon = map(int, month.split("-"))
        meta = {
            "channel": channel,
            "interaction_id": f"T{i}",
            "survey": survey,
            "version": 1,
            "agent_id": agent,
            "team": team,
            "reason": reason,
            "month": month,
            "started_at": datetime(year, mon, 10, tzinfo=UTC),
        }
        answers = {k: v for k, v in scores.items() if v is not None}
        assert submit(db, meta, answers) == "stored"

    return store


def add_many(add, hist, metric, **dims):
    for score, count in hist.items():
        for _ in range(count):
            add(**{metric: int(score)}, **dims)
