"""Customer figures count customers only: trainee evaluations stay in training's own figures."""

from __future__ import annotations

import re

import pytest

import training_survey
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.rollups.rebuild import rebuild
from tests.aggregator.test_dashboard import sign_in
from tests.pipeline import fold
from tests.training_survey.conftest import RATINGS, evaluate

MONTH = "2026-10"
DIMS = ("channel", "agent", "team", "reason", "survey")


def customers(add, db) -> None:
    """Two customers who answered and one who was sent a link and did not."""
    add(csat=5, nps=10, ces=1)
    add(channel="chat", agent="A2", team="south", reason="refund", csat=2, nps=3, ces=4)
    meta = {"channel": "email", "interaction_id": "E1", "survey": "post-contact", "version": 1}
    meta.update(agent_id="A1", team="north", reason="billing", month=MONTH)
    assert events.insert(db, events.event(Kind.INVITE, meta)) == "stored"


def trainees(config, api_key) -> None:
    """Three trainees of an onboarding session who would not recommend it (NPS 0)."""
    client = training_survey.create_app(config).test_client()
    body = {"id": "TR1", "name": "Li Wei", "team": "onboarding"}
    assert client.post("/api/v1/trainers", json=body, headers=api_key("admin")).status_code == 201
    writer = api_key("write")
    session = {
        "trainer_id": "TR1",
        "topic": "Refunds",
        "held_at": "2026-10-15T09:00:00+08:00",
        "language": "en-US",
        "trainees": ["u1", "u2", "u3", "u4"],  # u4 never answers: an offered link
    }
    made = client.post("/api/v1/sessions", json=session, headers=writer).get_json()
    for link in made["links"][:3]:
        answers = {**RATINGS, "recommend": 0}
        assert evaluate(client, link["token"], answers).status_code == 201
    closed = client.post(f"/api/v1/sessions/{made['session_id']}/close", headers=writer)
    assert closed.status_code == 200


def customer_figures(client, headers) -> dict:
    def get(path: str, **query) -> dict:
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return {
        "monthly": get("/api/v1/metrics/monthly", **{"from": MONTH, "to": MONTH}),
        "funnel": get("/api/v1/funnel", month=MONTH),
        "combined": get(
            "/api/v1/metrics/monthly", **{"from": MONTH, "to": MONTH, "team": "north"}, agent="A1"
        ),
        **{
            f"by_{by}": get("/api/v1/metrics/breakdown", month=MONTH, by=by, min_n=0) for by in DIMS
        },
        "complaint_rate": get("/api/v1/complaints/report", month=MONTH, by="team"),
        "agents": get("/api/v1/agents/report", month=MONTH),
    }


@pytest.mark.parametrize("folded", [False, True])
def test_trainee_evaluations_change_no_customer_figure(
    client, read_key, add, db, config, api_key, folded
):
    customers(add, db)
    if folded:
        fold(db)
    before = customer_figures(client, read_key)
    trainees(config, api_key)
    if folded:
        fold(db)
    after = customer_figures(client, read_key)
    assert after == before
    row = after["monthly"]["rows"][0]
    assert row["responses"] == 2 and row["nps"]["n"] == 2 and row["nps"]["value"] == 0.0
    assert after["funnel"]["offered"] == 3  # the customers: two answered, one did not
    assert after["funnel"]["completed"] == 2
    values = {by: {r["value"] for r in after[f"by_{by}"]["rows"]} for by in DIMS}
    assert values["channel"] == {"web", "chat", "email"}
    assert values["team"] == {"north", "south"}
    assert values["survey"] == {"post-contact"}
    assert values["reason"] == {"billing", "refund"}
    assert values["agent"] == {"A1", "A2"}


def test_training_keeps_its_own_figures(client, read_key, add, db, config, api_key):
    customers(add, db)
    trainees(config, api_key)
    fold(db)
    ranking = client.get(f"/api/v1/trainers/ranking?month={MONTH}", headers=read_key).get_json()
    [row] = ranking["trainers"]
    assert row["trainer_id"] == "TR1" and row["n"] == 3
    assert row["recommend"]["n"] == 3 and row["recommend"]["value"] == -100.0
    assert rebuild(db, repair=False)["drift"] == []


def test_the_dashboard_shows_customers_only(client, read_key, add, db, config, api_key):
    customers(add, db)
    trainees(config, api_key)
    fold(db)
    sign_in(client, read_key["Authorization"][7:])
    html = client.get(f"/dashboard?month={MONTH}&lang=en-US").get_data(as_text=True)
    api = client.get(f"/api/v1/metrics/monthly?from={MONTH}&to={MONTH}", headers=read_key)
    row = api.get_json()["rows"][0]
    shown = re.search(rf'<tr data-month="{MONTH}">(.*?)</tr>', html, re.S).group(1)
    assert f'<td class="nps">{row["nps"]["value"]:.1f}</td>' in shown
    assert '<dd data-key="offered">3</dd>' in html
    assert '<dd data-key="completed">2</dd>' in html
    for value in ("onboarding", "training", "training-evaluation"):
        assert f'data-value="{value}"' not in html
