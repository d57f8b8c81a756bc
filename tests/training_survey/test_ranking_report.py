"""The aggregator's best-trainer ranking, from evaluations given as trainees give them."""

from __future__ import annotations

import pytest

import aggregator
from survey_core.rollups.rebuild import rebuild
from tests.pipeline import fold
from tests.training_survey.conftest import RATINGS, evaluate


@pytest.fixture
def reports(config, api_key):
    # Sessions of two evaluations count here (released when closed): the maths is the subject.
    client = aggregator.create_app({**config, "ANONYMITY_MIN": "2"}).test_client()
    headers = api_key("read")

    def get(path: str, **query):
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response

    return get


def given(client, session, overall_by_trainer: dict[str, list[int]], close=True) -> None:
    """A session per trainer with these `overall` ratings, closed (so released) unless not."""
    for trainer_id, overall in overall_by_trainer.items():
        trainees = [f"{trainer_id}-{i}" for i in range(len(overall) + 1)]  # one never answers
        made = session(trainer_id=trainer_id, trainees=trainees)
        for link, score in zip(made["links"], overall, strict=False):
            answers = {**RATINGS, "overall": score, "recommend": 10 if score == 5 else 6}
            assert evaluate(client, link["token"], answers).status_code == 201
        if close:
            session.close(made["session_id"])


def test_the_ranking_matches_an_independent_computation(client, trainer, session, reports, db):
    for trainer_id in ("A", "B", "C", "D"):
        trainer(trainer_id, name=f"Trainer {trainer_id}")
    given(client, session, {"A": [5, 5, 4, 5, 4, 5], "B": [4] * 6, "C": [5, 5], "D": [4] * 6})
    # Half folded, half not: reports add the unfolded events in memory.
    fold(db)
    given(client, session, {"B": []})
    body = reports("/api/v1/trainers/ranking", month="2026-10").get_json()
    assert body["min_n"] == 5
    assert [(t["trainer_id"], t["rank"], t["eligible"]) for t in body["trainers"]] == [
        ("A", 1, True),
        ("C", 2, False),
        ("B", 3, True),
        ("D", 4, True),
    ]
    a = body["trainers"][0]
    assert a["trainer_name"] == "Trainer A" and a["n"] == 6
    assert a["bayes_score"] == 4.5
    assert a["overall"]["mean"] == pytest.approx(28 / 6)
    assert a["communication"] == {"mean": 4.0, "ci": [4.0, 4.0], "n": 6}  # sd 0
    assert a["sessions"] == 1 and a["response_rate"] == pytest.approx(6 / 7)
    assert a["recommend"]["n"] == 6 and a["recommend"]["value"] == pytest.approx(100 * (4 - 2) / 6)
    b = next(t for t in body["trainers"] if t["trainer_id"] == "B")
    assert (b["sessions"], b["sessions_withheld"]) == (1, 1)  # the second: no evaluation
    assert b["bayes_score"] == pytest.approx(45.5 / 11)
    assert body["best"]["trainer_id"] == "A"
    strict = reports("/api/v1/trainers/ranking", month="2026-10", min_n=7).get_json()
    assert strict["best"] is None and not any(t["eligible"] for t in strict["trainers"])


def test_an_empty_month_has_no_best(reports):
    body = reports("/api/v1/trainers/ranking", month="2026-09").get_json()
    assert body == {"month": "2026-09", "min_n": 5, "trainers": [], "best": None}


def test_the_ranking_as_csv(client, trainer, session, reports):
    trainer("A")
    given(client, session, {"A": [5, 4]})
    response = reports("/api/v1/trainers/ranking", month="2026-10", format="csv")
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith(
        "rank,trainer_id,trainer_name,n,sessions,response_rate,sessions_withheld,sessions_open,"
        "overall_mean"
    )
    assert lines[1].startswith("1,A,Li Wei,2,1,0.67,0,0,4.50")


def test_a_trainers_trend_month_by_month(client, trainer, session, reports):
    trainer("A")
    given(client, session, {"A": [5, 3]})
    rows = reports("/api/v1/trainers/A/monthly", **{"from": "2026-09", "to": "2026-10"}).get_json()[
        "rows"
    ]
    assert [r["month"] for r in rows] == ["2026-09", "2026-10"]
    assert rows[0]["n"] == 0 and rows[1]["overall"]["mean"] == 4.0


def test_rebuild_recomputes_the_trainer_rollups(client, trainer, session, db):
    trainer("A")
    given(client, session, {"A": [5, 3, 4]})
    fold(db)
    assert rebuild(db, "2026-10", repair=False)["drift"] == []
    db.rollups.update_one({"_id": "2026-10|trainer|A"}, {"$inc": {"ratings.overall.5": 1}})
    drift = rebuild(db, "2026-10")["drift"]
    assert drift == [{"rollup": "2026-10|trainer|A", "delta": {"ratings.overall.5": -1}}]
    assert rebuild(db, "2026-10", repair=False)["drift"] == []
