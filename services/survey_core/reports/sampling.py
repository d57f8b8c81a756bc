"""QA sampling, pure: a reproducible random sample of contacts, spread over agents and time.

Each agent's contacts not scored yet are put in time order and cut into `per_agent` strata of
(nearly) equal size; one contact is drawn from each stratum (a detractor `detractor_weight`
times as likely as any other), so every agent gets the same number of contacts to review (all
of theirs when they have fewer) and each agent's sample covers the month from start to end.
The draw for an agent depends only on the seed, the agent and that agent's contacts: the same
query gives the same sample, and another agent's new contact changes nothing here.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from survey_core import keys


@dataclass(frozen=True)
class Contact:
    rid: str  # the response's id: (channel, interaction_id) as one key
    agent: str
    at: datetime  # when the customer answered (else started)
    detractor: bool


def is_detractor(scores: dict[str, int]) -> bool:
    """An NPS detractor (0-6); without an NPS answer, a CSAT of 1-2."""
    if isinstance(scores.get("nps"), int):
        return scores["nps"] <= 6
    return isinstance(scores.get("csat"), int) and scores["csat"] <= 2


def _rng(seed: str, agent: str) -> random.Random:
    digest = hashlib.sha256(keys.encode([seed, agent], "|").encode("utf-8", "surrogatepass"))
    return random.Random(int.from_bytes(digest.digest()[:16], "big"))


def strata(count: int, parts: int) -> list[range]:
    """`count` positions cut into `parts` consecutive runs whose sizes differ by at most one."""
    return [range(i * count // parts, (i + 1) * count // parts) for i in range(parts)]


def sample(
    contacts: Iterable[Contact],
    per_agent: int,
    seed: str,
    scored: Collection[str] = (),
    detractor_weight: float = 1.0,
) -> list[Contact]:
    """Up to `per_agent` contacts per agent, none of `scored`, by agent then time."""
    by_agent: dict[str, list[Contact]] = defaultdict(list)
    for contact in contacts:
        if contact.rid not in scored:
            by_agent[contact.agent].append(contact)
    chosen: list[Contact] = []
    for agent in sorted(by_agent):
        own = sorted(by_agent[agent], key=lambda c: (c.at, c.rid))
        rng = _rng(seed, agent)
        for run in strata(len(own), min(per_agent, len(own))):
            stratum = own[run.start : run.stop]
            weights = [detractor_weight if c.detractor else 1.0 for c in stratum]
            chosen.append(rng.choices(stratum, weights)[0])
    return chosen
