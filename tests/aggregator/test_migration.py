"""`surveyctl db migrate`: data written with the old joined keys and training in customer
rollups reads as new data does; reports of data without separators do not change."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

import aggregator.quality.monitoring
from ops.cli import main
from ops.migration import migrate
from survey_core.responses import events
from survey_core.rollups import deltas, layout
from survey_core.rollups.rebuild import rebuild
from tests.aggregator.test_customer_figures import MONTH, customer_figures, customers, trainees
from tests.pipeline import fold, opened


def old_targets(response):
    """The rollup documents of the previous layout: training everywhere, cells joined."""
    month = response["month"]
    cell = layout.cell_fields(response)
    rows: list[Any] = [((month, *layout.ALL), {})]
    rows += [((month, dim, value), {}) for dim, value in cell.items()]
    rows += [
        ((month, dim, str(response[field])), {})
        for dim, field in layout.OPTIONAL_DIMENSIONS.items()
        if response.get(field)
    ]
    rows.append(((month, layout.CELL, "|".join(cell.values())), cell))
    return rows


@pytest.fixture
def old_keys(monkeypatch):
    """Write as the previous version did, until `restore()`."""
    monkeypatch.setattr(deltas, "targets", old_targets)
    monkeypatch.setattr(events, "event_id", lambda rid, subject: f"{rid}:{subject}")
    monkeypatch.setattr(aggregator.quality.monitoring, "thanks_id", lambda s, i: f"{s}:{i}")
    monkeypatch.setattr(aggregator.quality.monitoring, "monitor_score_id", lambda m, r: f"{m}|{r}")
    monkeypatch.setattr(aggregator.quality.monitoring, "response_id", lambda c, i: f"{c}:{i}")
    return monkeypatch.undo


def test_reports_of_plain_old_data_are_the_same_after_migrating(
    client, read_key, add, db, old_keys
):
    customers(add, db)
    add(month="2026-09", agent="A3", csat=4, nps=9, ces=2)
    fold(db)
    before = customer_figures(client, read_key)
    old_keys()
    ids = {name: sorted(d["_id"] for d in db[name].find()) for name in ("events", "rollups")}
    report = migrate(db)
    assert report["rekeyed"] == dict.fromkeys(report["rekeyed"], 0)
    assert report["rollups_repaired"] == 0
    assert customer_figures(client, read_key) == before
    assert ids == {name: sorted(d["_id"] for d in db[name].find()) for name in ids}


def test_old_keys_and_training_in_customer_rollups_are_migrated(
    client, read_key, add, db, config, api_key, old_keys
):
    customers(add, db)
    before = customer_figures(client, read_key)
    add(agent="P|Q", team="R", csat=5)
    add(agent="P", team="Q|R", csat=1)
    opened(db, {"channel": "ivr", "interaction_id": "x:q", "month": MONTH})
    trainees(config, api_key)
    writer = api_key("write")
    thanks = {"agent": "A1", "received_at": "2026-10-12T10:00:00Z"}
    body = {**thanks, "source": "mail:X", "source_id": "1"}
    assert client.post("/api/v1/thanks", json=body, headers=writer).status_code == 201
    rating = {"agent": "A1", "rating": 4, "rated_at": "2026-10-12T10:00:00Z"}
    body = {**rating, "channel": "ivr:x", "interaction_id": "1"}
    assert client.post("/api/v1/agent-ratings", json=body, headers=writer).status_code == 201
    fold(db)
    old_keys()
    assert db.events.find_one({"_id": "ivr:x:q:open"})
    assert rebuild(db, repair=False)["drift"] != []  # training and old cells counted wrongly

    env = {k: str(v) for k, v in config.items()}
    result = CliRunner().invoke(main, ["db", "migrate"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "events: 1 key(s) rewritten" in result.stdout
    assert "thanks: 1 key(s) rewritten" in result.stdout
    assert "agent_ratings: 1 key(s) rewritten" in result.stdout

    assert db.events.find_one({"_id": "ivr:x%3Aq:open"}) and not db.events.find_one(
        {"_id": "ivr:x:q:open"}
    )
    assert db.thanks.find_one({"_id": "mail%3AX:1"}) and db.thanks.count_documents({}) == 1
    assert db.agent_ratings.find_one({"_id": "ivr%3Ax:1"})
    assert rebuild(db, repair=False)["drift"] == []
    after = customer_figures(client, read_key)
    assert after["monthly"]["rows"][0]["responses"] == 4  # two customers more; no trainee
    assert after["monthly"]["rows"][0]["nps"] == before["monthly"]["rows"][0]["nps"]
    assert {r["value"] for r in after["by_channel"]["rows"]} == {"web", "chat", "email", "ivr"}
    assert {r["value"] for r in after["by_survey"]["rows"]} == {"post-contact", "(none)"}
    assert "onboarding" not in {r["value"] for r in after["by_team"]["rows"]}
    for agent, team in (("P|Q", "R"), ("P", "Q|R")):
        query = {"from": MONTH, "to": MONTH, "agent": agent, "team": team}
        body = client.get("/api/v1/metrics/monthly", query_string=query, headers=read_key)
        assert body.get_json()["rows"][0]["responses"] == 1
    again = migrate(db)
    assert again["rekeyed"] == dict.fromkeys(again["rekeyed"], 0)
    assert again["rollups_repaired"] == 0
    assert again["rollups_pruned"] == {"documents": 0, "directory_values": 0}


def test_complaint_counters_of_the_minute_layout_are_rebuilt_from_the_complaints(db):
    from datetime import UTC, datetime

    from survey_core.complaints import counters
    from survey_core.complaints.store import minute_of, record_complaint

    moments = [datetime(2026, 10, 12, 8, m, tzinfo=UTC) for m in (0, 0, 5, 7)]
    for i, moment in enumerate(moments):
        body = {"source": "crm", "external_id": str(i), "category": "login"}
        record_complaint(db, {**body, "occurred_at": moment})
    t = minute_of(moments[0])
    # The previous layout: one document per minute, hour and day, no maps.
    db.complaint_counts.delete_many({"_id": {"$ne": counters.RULES_MARK}})
    old = {f"login|m|{t}": 2, f"login|m|{t + 5}": 1, f"login|m|{t + 7}": 1}
    old |= {f"login|h|{t // 60}": 4, f"login|d|{t // 1440}": 4}
    db.complaint_counts.insert_many([{"_id": k, "n": n} for k, n in old.items()])
    report = migrate(db)
    assert report["complaint_counters"] == 3  # an hour, a day, the total
    assert db.complaint_counts.count_documents({"_id": {"$in": list(old)}}) == 0
    found, _ = counters.counts(db, "login", [(t, t + 9), (t + 1, t + 6)], None)
    assert found == {(t, t + 9): 4, (t + 1, t + 6): 1}
    assert migrate(db)["complaint_counters"] == 3
