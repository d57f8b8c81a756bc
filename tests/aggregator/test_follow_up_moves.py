"""Working a follow-up through the API: assigned to a person, contacted, resolved, reopened;
every other move refused with field errors (one state machine, `store.MOVES`)."""

from __future__ import annotations

import pytest

import aggregator
import web_survey
from survey_core.follow_ups.store import drain_queue
from tests.aggregator.test_follow_ups import answered, settings
from tests.pipeline import fold

PATH = "/api/v1/follow-ups/chat:T1"
RESOLVE = {"status": "resolved", "root_cause": "Refund delayed", "action_taken": "Refunded"}


@pytest.fixture
def reports(config):
    return aggregator.create_app(config).test_client()


@pytest.fixture
def opened(api_key, db, config):
    web = web_survey.create_app(config).test_client()
    writer = api_key("write")
    answered(web, writer, "T1", csat=1, nps=2)
    fold(db)
    drain_queue(db, settings(config))
    return writer


def test_a_follow_up_is_assigned_resolved_and_reopened(reports, opened, api_key, db):
    assigned = reports.patch(PATH, json={"assignee": "Li Na 李娜"}, headers=opened)
    assert assigned.status_code == 200
    body = assigned.get_json()
    assert body["assignee"] == "Li Na 李娜" and body["status"] == "open" and body["assigned_at"]
    assert reports.patch(PATH, json=RESOLVE, headers=opened).status_code == 200
    reopened = reports.patch(
        PATH, json={"status": "open", "note": "Customer called again."}, headers=opened
    )
    assert reopened.status_code == 200
    body = reopened.get_json()
    assert body["status"] == "open" and body["reopened_at"] and "resolved_at" not in body
    stored = db.follow_ups.find_one({"_id": "chat:T1"})
    assert (
        stored["reopened_by"]
        == stored["assigned_by"]
        == db.api_keys.find_one({"scope": "write"})["name"]
    )
    listed = reports.get("/api/v1/follow-ups?status=open", headers=api_key("read")).get_json()
    assert [f["id"] for f in listed["follow_ups"]] == ["chat:T1"]


@pytest.mark.parametrize(
    ("before", "change", "field"),
    [
        ([], {"status": "open"}, "status"),  # open -> open is no move
        ([{"status": "contacted"}], {"status": "open"}, "status"),  # only a resolved one reopens
        ([RESOLVE], {"status": "contacted"}, "status"),  # never back but by reopening
        ([RESOLVE], {"assignee": "Li"}, "assignee"),  # reopen first
        ([], {"note": "nothing to do"}, "status"),
        ([], {}, "status"),
        ([], {"assignee": ""}, "assignee"),
        ([], {"assignee": "x" * 129}, "assignee"),
        ([], {"assignee": {"$ne": None}}, "assignee"),
        ([], {"status": "closed"}, "status"),
    ],
)
def test_a_move_the_state_machine_forbids_is_a_422_with_its_field(
    reports,
    opened,
    before,
    change,
    field,
):
    for step in before:
        assert reports.patch(PATH, json=step, headers=opened).status_code == 200
    refused = reports.patch(PATH, json=change, headers=opened)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "validation_error" and field in body["errors"]


def test_reading_keys_cannot_move_a_follow_up(reports, opened, api_key):
    assert reports.patch(PATH, json={"assignee": "Li"}, headers=api_key("read")).status_code == 403
