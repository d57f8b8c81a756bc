"""Past responses as `surveyctl import` reads them: a CSV of 12 months x 60 agents."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

HEADER = "interaction_id,datetime,channel,agent,team,reason,csat,nps,ces\n"
START = datetime(2025, 11, 1, tzinfo=UTC)
MONTHS = [f"{2025 + (10 + i) // 12}-{(10 + i) % 12 + 1:02d}" for i in range(12)]  # 2025-11..


def csv_lines(rows: int, seed: int) -> Iterator[str]:
    """A CSV of `rows` past responses, line by line (1M rows never sit in memory at once)."""
    rng = random.Random(seed)
    yield HEADER
    for i in range(rows):
        # Months and agents cycle, so every month has all 60 agents at 1k rows as at 1M: a
        # breakdown then returns the same rows and only the volume differs.
        moment = START + timedelta(days=30.4 * (i % 12) + rng.uniform(0.5, 28))
        agent = (i // 12) % 60
        yield (
            f"H{seed}-{i},{moment.isoformat()},{rng.choice(['ivr', 'web', 'chat'])},"
            f"A{agent:02d},T{agent % 6},R{rng.randrange(8)},{rng.randint(1, 5)},"
            f"{rng.randint(0, 10)},{rng.randint(1, 5)}\n"
        )
