"""Demo data: a few months of post-call and web responses, loaded idempotently."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.database import Database

from survey_core.months import month_of
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.surveys.definitions import get_survey

AGENTS = {"A01": "north", "A02": "north", "A03": "south", "A04": "south", "A05": "vip"}
REASONS = ("billing", "delivery", "technical", "account")


def _weighted(rng: random.Random, low: int, high: int, bias: float) -> int:
    """A score skewed towards the top of [low, high] by `bias` (0..1)."""
    return min(high, max(low, round(low + (high - low) * (rng.random() ** (1 - bias)))))


def load_demo(
    db: Database, tz: ZoneInfo, count: int = 300, progress: Callable[[int], None] | None = None
) -> int:
    """Submit `count` deterministic demo questionnaires (ids demo-0000...) as events; returns how
    many were new. The worker (or `fold_all`) folds them into records and rollups."""
    rng = random.Random(20261001)
    now = datetime.now(UTC)
    surveys = {slug: get_survey(db, slug) for slug in ("post-call", "post-contact")}
    created = 0
    for i in range(count):
        slug = "post-call" if i % 3 else "post-contact"
        survey = surveys[slug]
        if survey is None:
            raise RuntimeError("surveys are not seeded: run `surveyctl db init` first")
        agent = rng.choice(list(AGENTS))
        started = now - timedelta(days=rng.uniform(0, 75), minutes=rng.uniform(0, 600))
        meta = {
            "survey": slug,
            "version": survey["version"],
            "channel": "ivr" if slug == "post-call" else rng.choice(["web", "chat", "email"]),
            "interaction_id": f"demo-{i:04d}",
            "agent_id": agent,
            "team": AGENTS[agent],
            "reason": rng.choice(REASONS),
            "language": rng.choice(["zh-CN", "en-US"]),
            "month": month_of(started, tz),
            "started_at": started.timestamp(),
        }
        bias = {"A01": 0.8, "A02": 0.6, "A03": 0.5, "A04": 0.3, "A05": 0.7}[agent]
        answers = {
            "csat": _weighted(rng, 1, 5, bias),
            "nps": _weighted(rng, 0, 10, bias),
            "ces": 6 - _weighted(rng, 1, 5, bias),
        }
        qtypes = {q["key"]: q["type"] for q in survey["questions"]}
        submit = events.event(Kind.SUBMIT, meta, answers=answers, qtypes=qtypes)
        created += events.insert(db, submit) == "stored"
        if progress:
            progress(1)
    return created


TRAINERS = {
    "TR01": ("王芳 Wang Fang", "onboarding"),
    "TR02": ("Li Wei", "onboarding"),
    "TR03": ("陈静 Chen Jing", "billing"),
    "TR04": ("Zhao Lei", "billing"),
}


def load_training_demo(db: Database, settings: Any, spool_dir: str) -> int:
    """Trainers, two months of sessions and their evaluations (idempotent: ids demo-s-...);
    returns how many evaluations were new."""
    from survey_core.questionnaires import links
    from survey_core.responses.spool import Spool
    from survey_core.web.pages import policy
    from training_survey import sessions
    from training_survey.default_survey import CRITERIA, TRAINING_SURVEY
    from training_survey.service import PURPOSE, catalog

    rng = random.Random(20261101)
    link_policy = policy(settings, PURPOSE)
    survey = get_survey(db, TRAINING_SURVEY)
    if survey is None:
        raise RuntimeError("surveys are not seeded: run `surveyctl db init` first")
    for trainer_id, (name, team) in TRAINERS.items():
        if db.trainers.count_documents({"_id": trainer_id}) == 0:
            sessions.add_trainer(db, {"id": trainer_id, "name": name, "team": team})
    created = 0
    now = datetime.now(UTC)
    for i in range(12):
        session_id = f"demo-s-{i:02d}"
        if db.training_sessions.count_documents({"_id": session_id}):
            continue
        trainer_id = list(TRAINERS)[i % len(TRAINERS)]
        body = {
            "session_id": session_id,
            "trainer_id": trainer_id,
            "topic": rng.choice(["Refunds", "Empathy on the phone", "New billing system"]),
            "held_at": now - timedelta(days=rng.uniform(1, 50)),
            "language": rng.choice(["zh-CN", "en-US"]),
            "trainees": [f"demo-trainee-{i}-{k}" for k in range(rng.randint(4, 9))],
        }
        _, made = sessions.create_session(db, settings, link_policy, survey, body)
        bias = {"TR01": 0.8, "TR02": 0.6, "TR03": 0.7, "TR04": 0.4}[trainer_id]
        for _, invitation in made[: max(1, len(made) - rng.randint(0, 2))]:
            link = links.load(db, link_policy, catalog, invitation["token"], history=False)
            answers = {c: _weighted(rng, 1, 5, bias) for c in CRITERIA}
            answers["recommend"] = _weighted(rng, 0, 10, bias)
            created += links.submit(db, Spool(spool_dir), link, answers)
        # Held in the past, so their evaluation is over: closed, they count (release rule).
        sessions.close_session(db, session_id)
    return created
