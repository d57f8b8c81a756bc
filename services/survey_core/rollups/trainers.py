"""The trainers' monthly figures and the best-trainer ranking, from the trainer rollups.

O(trainers) documents read for a month, whatever the number of evaluations: one rollup per
trainer (dimension `trainer`), the month's sessions counted by an indexed aggregation, names
from `trainers`. The ranking itself is `survey_core.ranking` (pure).
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from survey_core import ranking, scoring
from survey_core.rollups import queries
from survey_core.rollups.folding import SurveyOf

CRITERIA = ("communication", "clarity", "interaction", "overall")
DIMENSION = "trainer"


def figures(counters: dict[str, Any]) -> dict[str, Any]:
    """One trainer's figures of a month: each criterion {mean, ci, n}, recommend as NPS."""
    ratings = counters.get("ratings") or {}
    funnel = counters.get("funnel") or {}
    row: dict[str, Any] = {c: ranking.rating(ratings.get(c)) for c in CRITERIA}
    row["n"] = row["overall"]["n"]
    recommend = scoring.nps(counters.get("nps"))
    row["recommend"] = recommend if recommend["n"] else None
    offered = int(funnel.get("offered", 0))
    row["response_rate"] = int(funnel.get("complete", 0)) / offered if offered else None
    return row


def _sessions(db: Database, month: str) -> dict[str, int]:
    pipeline: list[dict[str, Any]] = [
        {"$match": {"month": month}},
        {"$group": {"_id": "$trainer_id", "n": {"$sum": 1}}},
    ]
    return {d["_id"]: d["n"] for d in db.training_sessions.aggregate(pipeline)}


def _names(db: Database, ids: list[str]) -> dict[str, str]:
    return {t["_id"]: t.get("name") for t in db.trainers.find({"_id": {"$in": ids}}, {"name": 1})}


def ranking_of(db: Database, survey_of: SurveyOf, month: str, m: int) -> dict[str, Any]:
    """Every trainer with evaluations in `month`, ranked; `best` the top eligible one."""
    counters = queries.by_value(db, survey_of, month, DIMENSION)
    sessions, names = _sessions(db, month), _names(db, sorted(counters))
    rows = []
    for trainer_id, found in counters.items():
        row = figures(found)
        if row["n"] == 0:
            continue
        row.update(
            trainer_id=trainer_id,
            trainer_name=names.get(trainer_id),
            sessions=sessions.get(trainer_id, 0),
        )
        rows.append(row)
    ranked, best = ranking.rank(rows, m)
    return {"month": month, "min_n": m, "trainers": ranked, "best": best}


def trend(db: Database, survey_of: SurveyOf, trainer_id: str, months: list[str]) -> list[dict]:
    """One trainer's figures per month."""
    per_month = queries.one_value(db, survey_of, months, DIMENSION, trainer_id)
    return [{"month": month, **figures(per_month[month])} for month in months]
