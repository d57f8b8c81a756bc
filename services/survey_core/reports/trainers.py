"""The trainers' monthly figures and the best-trainer ranking, from the session rollups.

Only released sessions count (`survey_core.reports.released`: the evaluation window closed, at
least ANONYMITY_MIN evaluations), so no figure moves by one trainee's evaluation while others
watch. O(sessions) documents read for a month, whatever the number of evaluations: one rollup
per session (dimension `session`), the month's sessions by an indexed query, names from
`trainers`. The ranking itself is `survey_core.ranking` (pure).
"""

from __future__ import annotations

from typing import Any

from survey_core import ranking, scoring
from survey_core.documents import Db
from survey_core.reports.released import released_by_trainer, sessions_of_month
from survey_core.reports.snapshot import Snapshot
from survey_core.statuses import Status
from survey_core.storage.lookups import find_in

CRITERIA = ("communication", "clarity", "interaction", "overall")


def figures(counters: dict[str, Any]) -> dict[str, Any]:
    """One trainer's figures of a month: each criterion {mean, ci, n}, recommend as NPS."""
    ratings = counters.get("ratings") or {}
    funnel = counters.get("funnel") or {}
    row: dict[str, Any] = {c: ranking.rating(ratings.get(c)) for c in CRITERIA}
    row["n"] = row["overall"]["n"]
    recommend = scoring.nps(counters.get("nps"))
    row["recommend"] = recommend if recommend["n"] else None
    offered = int(funnel.get("offered", 0))
    row["response_rate"] = int(funnel.get(Status.COMPLETE.value, 0)) / offered if offered else None
    for count in ("sessions", "sessions_withheld", "sessions_open"):
        row[count] = int(counters.get(count, 0))
    return row


def _names(db: Db, ids: list[str]) -> dict[str, str | None]:
    return {t["_id"]: t.get("name") for t in find_in(db.trainers, "_id", ids, None, {"name": 1})}


def ranking_of(snap: Snapshot, month: str, m: int, anonymity_min: int) -> dict[str, Any]:
    """Every trainer with released evaluations in `month`, ranked; `best` the top eligible one.
    C, the month's mean `overall`, is over released evaluations only."""
    counters = released_by_trainer(sessions_of_month(snap, month, anonymity_min))
    names = _names(snap.db, sorted(counters))
    rows = []
    for trainer_id, found in counters.items():
        row = figures(found)
        if row["n"] == 0:
            continue
        row.update(trainer_id=trainer_id, trainer_name=names.get(trainer_id))
        rows.append(row)
    ranked, best = ranking.rank(rows, m)
    return {"month": month, "min_n": m, "trainers": ranked, "best": best}


def trend(
    snap: Snapshot, trainer_id: str, months: list[str], anonymity_min: int
) -> list[dict[str, Any]]:
    """One trainer's figures per month (released sessions only)."""
    rows = []
    for month in months:
        found = sessions_of_month(snap, month, anonymity_min, trainer_id)
        rows.append({"month": month, **figures(released_by_trainer(found).get(trainer_id, {}))})
    return rows
