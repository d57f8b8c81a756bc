"""Demo data is plausible and dated like what it derives from: complaints and follow-ups carry
their responses' times, no alert a real month would not have, a believable complaint rate."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

import aggregator
from ops.demo import DAYS, load_demo, settle_demo
from survey_core.months import month_of
from survey_core.settings import WorkerSettings


@pytest.fixture
def loaded(config, db):
    settings = WorkerSettings.from_env(config)
    assert load_demo(db, settings.tz, count=300) == 300
    settle_demo(db, settings)
    return settings


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_demo_complaints_are_dated_when_their_responses_ended(loaded, db):
    complaints = list(db.complaints.find({"source": "survey"}))
    assert complaints
    responses = {r["_id"]: r for r in db.responses.find({"interaction_id": {"$regex": "^demo-"}})}
    now = datetime.now(UTC)
    for complaint in complaints:
        record = responses[complaint["external_id"]]
        occurred = _aware(complaint["occurred_at"])
        assert occurred == _aware(record["submitted_at"])
        assert _aware(record["started_at"]) < occurred < now
        assert complaint["month"] == record["month"] == month_of(occurred, loaded.tz)
    months = Counter(c["month"] for c in complaints)
    assert len(months) >= 3  # spread over the months the responses span, not the load's


def test_demo_responses_are_spread_over_past_opening_hours(loaded, db):
    now = datetime.now(UTC)
    records = list(db.responses.find({"interaction_id": {"$regex": "^demo-"}}))
    assert len(records) == 300
    for record in records:
        submitted = _aware(record["submitted_at"])
        assert now - timedelta(days=DAYS + 1) < submitted < now
        assert 8 <= submitted.astimezone(loaded.tz).hour <= 21
    days = {_aware(r["submitted_at"]).astimezone(loaded.tz).date() for r in records}
    assert len(days) > DAYS / 2


def test_a_fresh_demo_load_opens_no_alert_and_a_plausible_complaint_rate(loaded, config, db):
    assert list(db.alerts.find({"status": "open"}, {"_id": 0, "category": 1, "level": 1})) == []
    app = aggregator.create_app(config)
    key = _read_key(db)
    client = app.test_client()
    totals: Counter = Counter()
    for month in sorted({r["month"] for r in db.responses.find({}, {"month": 1})}):
        report = client.get(
            f"/api/v1/complaints/report?month={month}&by=category", headers=key
        ).get_json()
        for row in report["rows"]:
            # below 0.3 per contact, with room for chance in a month of a few days
            assert row["complaints"] <= 0.3 * row["surveyed"] + 3, (month, row)
        totals += Counter({k: row[k] for row in report["rows"] for k in ("complaints", "surveyed")})
    assert 0.05 < totals["complaints"] / totals["surveyed"] < 0.3


def test_demo_follow_ups_older_than_a_day_are_resolved_and_dated_like_their_responses(loaded, db):
    now = datetime.now(UTC)
    follow_ups = list(db.follow_ups.find())
    assert follow_ups
    overdue = [f for f in follow_ups if f["status"] != "resolved" and _aware(f["due_at"]) < now]
    assert len(overdue) <= 3
    for follow_up in follow_ups:
        if follow_up["status"] == "resolved":
            ended = _aware(follow_up["due_at"]) - timedelta(hours=loaded.follow_up_sla_hours)
            assert _aware(follow_up["created_at"]) == ended
            assert ended < _aware(follow_up["resolved_at"]) < ended + timedelta(days=1)
            assert follow_up["root_cause"] and follow_up["action_taken"]


def test_settling_the_demo_twice_changes_nothing(loaded, db):
    before = (db.complaints.count_documents({}), db.follow_ups.count_documents({}))
    again = settle_demo(db, loaded)
    assert again == {"folded": 0, "follow_ups": 0, "resolved": 0}
    assert (db.complaints.count_documents({}), db.follow_ups.count_documents({})) == before


def _read_key(db) -> dict[str, str]:
    from survey_core.web import auth

    key, _ = auth.create_key(db, "demo-test", "read")
    return {"Authorization": f"Bearer {key}"}
