"""Demo data gives low-score reasons where the default surveys ask them, and only there
(most unhappy customers answer the optional question; one in ten leaves it)."""

from __future__ import annotations

from ops.database import init_database
from ops.demo import load_demo, settle_demo
from survey_core.settings import WorkerSettings
from survey_core.surveys.low_scores import low


def test_demo_low_scores_mostly_give_a_reason_and_good_scores_never_do(config, db):
    init_database(db)
    settings = WorkerSettings.from_env(config)
    load_demo(db, settings.tz, count=120)
    settle_demo(db, settings)
    unhappy = given = 0
    for record in db.responses.find():
        scores = record["scores"]
        reason = record["answers"].get("low_score_reason")
        if low("csat", scores.get("csat")) or low("nps", scores.get("nps")):
            unhappy += 1
            given += reason is not None
        else:
            assert reason is None
    assert unhappy >= 10 and unhappy > given >= 0.8 * unhappy  # optional: one in ten left out
    assert db.rollups.find_one({"dim": "all", "low_reasons": {"$exists": True}})
