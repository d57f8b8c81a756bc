"""Sampling, suppression and not-reached calls are recorded for the funnel."""

from datetime import UTC, datetime, timedelta

from survey_core.surveys.definitions import get_survey, publish_survey
from tests.ivr_survey.conftest import response_of, rollup
from tests.pipeline import fold


def test_sampled_out_caller_hears_a_goodbye_and_is_counted(call, db, app):
    survey = get_survey(db, "post-call")
    publish_survey(db, dict(survey, sample_rate=0.0))
    c = call(query="lang=en-US")
    c.start()
    assert c.hung_up() and c.twiml.find("Gather") is None
    assert response_of(db, "CA0001")["status"] == "not_sampled"
    assert rollup(db)["funnel"] == {"offered": 1, "not_sampled": 1}


def test_same_caller_within_thirty_days_is_suppressed(call, db):
    first = call(sid="CA1", caller="+8613800000001")
    first.start()
    first.press("5")
    first.hang_up()
    fold(db)  # suppression reads the records the worker keeps
    again = call(sid="CA2", caller="+8613800000001")
    again.start()
    assert again.hung_up() and again.twiml.find("Gather") is None
    assert response_of(db, "CA2")["status"] == "suppressed"
    funnel = rollup(db)["funnel"]
    assert funnel["offered"] == 2 and funnel["suppressed"] == 1 and funnel["started"] == 1


def test_caller_surveyed_over_thirty_days_ago_is_asked_again(call, db):
    first = call(sid="CA1", caller="+8613800000001")
    first.start()
    db.responses.update_one({}, {"$set": {"started_at": datetime.now(UTC) - timedelta(days=31)}})
    again = call(sid="CA2", caller="+8613800000001")
    again.start()
    assert again.twiml.find("Gather") is not None


def test_hidden_numbers_are_never_suppressed(call, db):
    call(sid="CA1", caller="anonymous").start()
    second = call(sid="CA2", caller="anonymous")
    second.start()
    assert second.twiml.find("Gather") is not None


def test_outbound_call_not_answered_is_recorded_as_not_reached(call, db):
    from ivr_survey.flow import CallState

    state = CallState(
        survey="post-call",
        version=1,
        lang="en-US",
        interaction="TICKET-7",
        month="2026-11",
        started=datetime.now(UTC).timestamp(),
        contact={"agent": "A1"},
    )
    c = call(sid="CA9", direction="outbound-api")
    c.hang_up("no-answer", query=f"?state={state.encode()}")
    c.hang_up("no-answer", query=f"?state={state.encode()}")
    doc = response_of(db, "TICKET-7")
    assert doc["status"] == "not_reached" and doc["agent_id"] == "A1"
    assert rollup(db)["funnel"] == {"offered": 1, "not_reached": 1}


def test_status_for_an_unknown_call_changes_nothing(call, db):
    call(sid="CA404").hang_up()
    assert db.responses.count_documents({}) == 0


def test_a_call_state_signed_before_the_contact_field_still_reads(call, db):
    """A call begun before the deploy carries agent, team and reason as fields of their own."""
    import base64
    import json

    from ivr_survey.flow import CallState

    old = {
        "survey": "post-call",
        "version": 1,
        "lang": "en-US",
        "interaction": "TICKET-8",
        "month": "2026-11",
        "started": datetime.now(UTC).timestamp(),
        "agent": "A1",
        "team": "north",
        "reason": None,
    }
    token = base64.urlsafe_b64encode(json.dumps(old).encode()).decode().rstrip("=")
    assert CallState.decode(token).contact == {"agent": "A1", "team": "north"}
