"""The outage breaker closes after its cool-down even while requests keep coming.

A request refused by the open breaker (DatabaseSkipped, itself a "database down" error) must
not open it again: otherwise, under steady traffic, every service answers 503 (and the IVR
spools every answer) long after the database is back, until a lull longer than the cool-down.
"""

from __future__ import annotations

import time

import pytest

import aggregator
import web_survey
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.responses.spool import Spool
from survey_core.storage.breaker import breaker

COOL_DOWN_S = 0.5


@pytest.fixture
def short_breaker(monkeypatch):
    monkeypatch.setattr(breaker, "cool_down_s", COOL_DOWN_S)
    breaker.reset()
    yield breaker
    breaker.reset()


def refused_while_open(request) -> None:
    """Trip the breaker (the database is fine again at once), keep asking during the
    cool-down (each answered without the database), then wait past the cool-down."""
    breaker.trip()
    opened = time.monotonic()
    while time.monotonic() - opened < COOL_DOWN_S * 0.8:
        request()
        time.sleep(0.05)
    time.sleep(max(0.0, opened + COOL_DOWN_S * 1.2 - time.monotonic()))


def test_json_api_503s_do_not_hold_the_breaker_open(config, api_key, short_breaker):
    client = aggregator.create_app(config).test_client()
    reader = api_key("read")

    def report() -> int:
        return client.get("/api/v1/funnel?month=2026-10", headers=reader).status_code

    assert report() == 200

    def refused() -> None:
        assert report() == 503

    refused_while_open(refused)
    assert not breaker.is_open()
    assert report() == 200


def test_questionnaire_page_503s_do_not_hold_the_breaker_open(config, api_key, short_breaker):
    client = web_survey.create_app(config).test_client()
    body = {"channel": "chat", "interaction_id": "BRK-1"}
    made = client.post("/api/v1/invitations", json=body, headers=api_key("write")).get_json()
    page = f"/s/{made['token']}"

    def refused() -> None:
        assert client.get(page).status_code == 503

    refused_while_open(refused)
    assert not breaker.is_open()
    assert client.get(page).status_code == 200


def test_spooling_while_open_does_not_hold_the_breaker_open(db, tmp_path, short_breaker):
    spool = Spool(tmp_path)
    meta = {"channel": "ivr", "interaction_id": "CA-BRK", "survey": "post-call", "version": 1}
    answers = iter(range(100))

    def spooled() -> None:
        ev = events.event(Kind.ANSWER, meta, f"q{next(answers)}", qtype="csat", value=4)
        assert events.record(db, spool, [ev]) is None  # spooled: the breaker is open

    refused_while_open(spooled)
    assert not breaker.is_open()
    ev = events.event(Kind.ANSWER, meta, "last", qtype="csat", value=5)
    assert events.record(db, spool, [ev]) == ["stored"]


def test_one_answer_too_late_does_not_open_the_breaker_but_a_second_does():
    """One request past its deadline is a heavy request, not an outage: the requests after it
    still try the database. A second within the cool-down opens the breaker."""
    from pymongo.errors import NetworkTimeout

    from survey_core.storage.breaker import Breaker

    fresh = Breaker(cool_down_s=60)
    fresh.trip(NetworkTimeout("timed out"))
    assert not fresh.is_open()
    fresh.trip(NetworkTimeout("timed out"))
    assert fresh.is_open()


def test_a_database_that_cannot_be_reached_opens_the_breaker_at_once():
    from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

    from survey_core.storage.breaker import Breaker

    for cause in (ServerSelectionTimeoutError("no server"), AutoReconnect("reset")):
        fresh = Breaker(cool_down_s=60)
        fresh.trip(cause)
        assert fresh.is_open()


def test_answers_too_late_far_apart_never_open_the_breaker(monkeypatch):
    from pymongo.errors import ExecutionTimeout

    from survey_core.storage import breaker as module

    clock = iter([0.0, 10.0, 20.0, 30.0])
    monkeypatch.setattr(module.time, "monotonic", lambda: next(clock))
    fresh = module.Breaker(cool_down_s=3)
    for _ in range(4):
        fresh.trip(ExecutionTimeout("operation exceeded time limit"))
    monkeypatch.undo()
    assert not fresh.is_open()
