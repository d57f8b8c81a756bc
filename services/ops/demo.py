"""Demo data: a few months of post-call and web responses, loaded idempotently."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.database import Database

from survey_core import sealing
from survey_core.months import month_of
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.sealing import Keyring
from survey_core.settings import ComplaintSettings
from survey_core.surveys.conditions import visible
from survey_core.surveys.definitions import get_survey
from survey_core.surveys.schema import REASON

AGENTS = {"A01": "north", "A02": "north", "A03": "south", "A04": "south", "A05": "vip"}
# How far each agent's customers lean towards the top of each scale: most are satisfied, as in
# a real contact centre (about one response in six ends at or below the follow-up thresholds).
BIAS = {"A01": 0.85, "A02": 0.8, "A03": 0.75, "A04": 0.65, "A05": 0.8}
REASONS = ("billing", "delivery", "technical", "account")
DAYS = 75  # demo responses span the last 75 days
OPEN_HOURS = (8.0, 21.5)  # local time of day the contact centre takes contacts
COMMENTS = {
    "happy": ("Quick and friendly, thank you!", "问题很快解决了，谢谢。", "Very patient agent."),
    "unhappy": ("I had to explain everything twice.", "等待时间太长了。", "Still not fixed."),
}
ROOT_CAUSES = (
    ("billing rule unclear to the agent", "coached the agent; refund issued"),
    ("long queue at peak hour", "called the customer back; rota adjusted"),
    ("known defect", "workaround explained; ticket linked to the fix"),
)


def _weighted(rng: random.Random, low: int, high: int, bias: float) -> int:
    """A score skewed towards the top of [low, high] by `bias` (0..1)."""
    return min(high, max(low, round(low + (high - low) * (rng.random() ** (1 - bias)))))


def contact_time(rng: random.Random, now: datetime, tz: ZoneInfo) -> datetime:
    """A moment within the last DAYS days, during opening hours in `tz`, never in the future."""
    while True:
        day = (now.astimezone(tz) - timedelta(days=rng.randrange(DAYS))).date()
        local = datetime.combine(day, datetime.min.time(), tz) + timedelta(
            hours=rng.uniform(*OPEN_HOURS)
        )
        if local < now:
            return local.astimezone(UTC)


def load_demo(
    db: Database,
    tz: ZoneInfo,
    count: int = 300,
    progress: Callable[[int], None] | None = None,
    keyring: Keyring = sealing.NO_KEYS,
) -> int:
    """Submit `count` deterministic demo questionnaires (ids demo-0000...) as events, each
    dated when its customer answered, comments sealed with `keyring`; returns how many were
    new. The worker (or `settle_demo`) folds them into records and rollups."""
    rng = random.Random(20261001)
    # The low-score reasons draw from a generator of their own: the scores stay as they were.
    reason_rng = random.Random(20261002)
    now = datetime.now(UTC)
    surveys = {slug: get_survey(db, slug) for slug in ("post-call", "post-contact")}
    created = 0
    for i in range(count):
        slug = "post-call" if i % 3 else "post-contact"
        survey = surveys[slug]
        if survey is None:
            raise RuntimeError("surveys are not seeded: run `surveyctl db init` first")
        agent = rng.choice(list(AGENTS))
        started = contact_time(rng, now - timedelta(minutes=10), tz)
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
        answers: dict[str, Any] = {
            "csat": _weighted(rng, 1, 5, BIAS[agent]),
            "nps": _weighted(rng, 0, 10, BIAS[agent]),
            "ces": 6 - _weighted(rng, 1, 5, BIAS[agent]),
        }
        qtypes = {q["key"]: q["type"] for q in survey["questions"]}
        answers.update(_low_score_reasons(reason_rng, survey, answers))
        if qtypes.get("comment") == "text" and rng.random() < 0.3:
            mood = "unhappy" if answers["csat"] <= 2 or answers["nps"] <= 6 else "happy"
            answers["comment"] = rng.choice(COMMENTS[mood])
        submitted = started + timedelta(minutes=rng.uniform(1, 8))
        submit = events.event(
            Kind.SUBMIT, meta, answers=answers, qtypes=qtypes, submitted_at=submitted
        )
        created += events.insert(db, submit, keyring) == "stored"
        if progress:
            progress(1)
    return created


def _low_score_reasons(
    rng: random.Random, survey: dict[str, Any], answers: dict[str, Any]
) -> dict[str, str]:
    """A reason for each reason question the scores open (one in ten left unanswered when
    optional), the first options likelier, as customers name waiting and unsolved problems."""
    shown = visible(survey["questions"], answers)
    found = {}
    for q in survey["questions"]:
        if q["type"] != REASON or q["key"] not in shown:
            continue
        if not q.get("required", True) and rng.random() < 0.1:
            continue
        options = [c["value"] for c in q["choices"]]
        found[q["key"]] = rng.choices(options, weights=range(len(options) * 2, 0, -2))[0]
    return found


def settle_demo(db: Database, settings: ComplaintSettings) -> dict[str, int]:
    """Fold the demo events, open the follow-ups and complaints of unhappy responses (dated
    when the responses ended), and close the follow-ups a team would have closed by now (those
    due more than a day ago), dated like the responses they follow up."""
    from ops.worker import survey_lookup
    from survey_core.folding.batch import fold_all
    from survey_core.follow_ups.store import drain_queue

    folded = fold_all(db, survey_lookup(db), lag_s=0)
    opened = 0
    while handled := drain_queue(db, settings):
        opened += handled
    rng = random.Random(20261201)
    cutoff = datetime.now(UTC) - timedelta(days=1)
    resolved = 0
    for follow_up in db.follow_ups.find(
        {"_id": {"$regex": "^[a-z]+:demo-"}, "status": "open", "due_at": {"$lt": cutoff}}
    ):
        due = follow_up["due_at"]
        ended = due - timedelta(hours=settings.follow_up_sla_hours)
        root_cause, action = rng.choice(ROOT_CAUSES)
        db.follow_ups.update_one(
            {"_id": follow_up["_id"], "status": "open"},
            {
                "$set": {
                    "status": "resolved",
                    "created_at": ended,
                    "contacted_at": ended + timedelta(hours=rng.uniform(1, 6)),
                    "contacted_by": "demo",
                    "resolved_at": ended + timedelta(hours=rng.uniform(8, 20)),
                    "resolved_by": "demo",
                    "root_cause": root_cause,
                    "action_taken": action,
                }
            },
        )
        resolved += 1
    return {"folded": folded, "follow_ups": opened, "resolved": resolved}


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
    from survey_core.surveys.catalog import SurveyCatalog
    from survey_core.training import sessions
    from survey_core.web.pages import policy
    from training_survey.default_survey import CRITERIA, TRAINING_EVALUATION, TRAINING_SURVEY
    from training_survey.service import PURPOSE

    rng = random.Random(20261101)
    link_policy = policy(settings, PURPOSE)
    catalog = SurveyCatalog(builtins=[TRAINING_EVALUATION])
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
            created += links.submit(db, Spool(spool_dir), link, answers, sealing.of(settings))
        # Held in the past, so their evaluation is over: closed, they count (release rule).
        sessions.close_session(db, session_id)
    return created
