"""GET /api/v1/qa/sample: reproducible, spread over agents, never a contact already scored."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.pipeline import fold

MONTH = "2026-10"


def _contacts(add, agents=("A1", "A2", "A3"), each=6):
    for agent in agents:
        for i in range(each):
            add(agent=agent, csat=5 - i % 5, nps=10 - i)


def _score(client, api_key, interaction, agent="A1"):
    body = {
        "interaction_id": interaction,
        "channel": "web",
        "agent": agent,
        "monitor_id": "M1",
        "scored_at": "2026-10-12T10:00:00+08:00",
        "form": {"id": "f", "version": 1},
        "items": [{"key": "greeting", "score": 4, "max": 5}],
    }
    assert (
        client.post("/api/v1/monitor-scores", json=body, headers=api_key("write")).status_code
        == 201
    )


def test_the_sample_gives_each_agent_per_agent_contacts_the_same_every_time(
    client, add, db, read_key
):
    _contacts(add)
    fold(db)
    url = f"/api/v1/qa/sample?month={MONTH}&per_agent=2"
    first = client.get(url, headers=read_key).get_json()
    assert Counter(c["agent"] for c in first["contacts"]) == {"A1": 2, "A2": 2, "A3": 2}
    assert first["seed"] == MONTH and first["agents"] == 3
    assert client.get(url, headers=read_key).get_json() == first
    other = client.get(url + "&seed=again", headers=read_key).get_json()
    assert Counter(c["agent"] for c in other["contacts"]) == {"A1": 2, "A2": 2, "A3": 2}


def test_a_contact_a_monitor_scored_is_never_sampled(client, add, db, read_key, api_key):
    _contacts(add, agents=("A1",), each=3)
    fold(db)
    _score(client, api_key, "T2")
    found = client.get(f"/api/v1/qa/sample?month={MONTH}&per_agent=5", headers=read_key)
    body = found.get_json()
    assert sorted(c["interaction_id"] for c in body["contacts"]) == ["T1", "T3"]
    assert body["scored_left_out"] == 1


def test_one_agents_sample_and_detractor_marks(client, add, db, read_key):
    add(agent="A1", csat=5, nps=6)
    add(agent="A1", csat=1)
    add(agent="A1", csat=5, nps=9)
    add(agent="A2", csat=1, nps=0)
    fold(db)
    found = client.get(
        f"/api/v1/qa/sample?month={MONTH}&per_agent=5&agent=A1&detractors=3", headers=read_key
    ).get_json()
    marks = {c["interaction_id"]: c["detractor"] for c in found["contacts"]}
    assert marks == {"T1": True, "T2": True, "T3": False}
    assert found["detractors"] == 3.0


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=2026-10&per_agent=0",
        "month=2026-10&per_agent=51",
        "month=2026-10&detractors=nan",
        "month=2026-10&detractors=0.5",
        "month=2026-10&seed=%00",
        "month=2026-10&agent=",
        "per_agent=2",
    ],
)
def test_a_bad_query_is_a_422_naming_the_parameter(client, read_key, query):
    response = client.get(f"/api/v1/qa/sample?{query}", headers=read_key)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error" and body["errors"]


def test_the_sample_needs_a_read_key_and_is_in_the_openapi_document(client):
    assert client.get(f"/api/v1/qa/sample?month={MONTH}").status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/qa/sample" in spec["paths"]
