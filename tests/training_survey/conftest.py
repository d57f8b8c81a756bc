"""A training survey app on this test's database, a trainer, and sessions with links."""

from __future__ import annotations

import pytest

from training_survey import create_app

RATINGS = {"communication": 4, "clarity": 5, "interaction": 3, "overall": 4}


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def trainer(client, admin):
    def make(trainer_id: str = "TR1", name: str = "Li Wei", team: str = "onboarding", **kw):
        body = {"id": trainer_id, "name": name, "team": team, **kw}
        response = client.post("/api/v1/trainers", json=body, headers=admin)
        assert response.status_code == 201, response.get_json()
        return body

    return make


@pytest.fixture
def session(client, writer, trainer):
    """POST a session for `trainer_id` with `trainees`; returns the JSON body."""

    def make(trainer_id: str = "TR1", trainees=("u1", "u2", "u3"), **kw):
        body = {
            "trainer_id": trainer_id,
            "topic": "Handling refunds",
            "held_at": "2026-10-15T09:00:00+08:00",
            "language": "en-US",
            "trainees": list(trainees),
            **kw,
        }
        response = client.post("/api/v1/sessions", json=body, headers=writer)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def close(session_id: str) -> dict:
        """Close the session's evaluation window (its figures may then be released)."""
        response = client.post(f"/api/v1/sessions/{session_id}/close", headers=writer)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    make.close = close  # type: ignore[attr-defined]
    return make


def evaluate(client, token: str, answers: dict | None = None):
    return client.post("/api/v1/evaluations", json={"token": token, "answers": answers or RATINGS})
