"""The low-score breakdown by reason, from IVR calls and web responses along every branch of
the default surveys: exact before and after folding, rebuilt without drift, as CSV; the
follow-up of an unhappy response carries the customer's reason, which REASON_CATEGORIES maps."""

from __future__ import annotations

import csv
import io

import pytest

import aggregator
import ivr_survey
import web_survey
from ivr_survey.default_survey import POST_CALL
from ops.database import ask_low_score_reason, init_database
from survey_core.follow_ups.store import drain_queue
from survey_core.rollups.rebuild import rebuild
from survey_core.settings import WorkerSettings
from survey_core.surveys.definitions import get_survey, publish_survey
from tests.ivr_survey.twilio_sim import Call
from tests.pipeline import fold
from web_survey.default_survey import POST_CONTACT

REASON = "low_score_reason"
# (presses) of each call: csat, nps, then the reason's digit when it is asked, ces, consent
CALLS = {
    "CA1": ("1", "9", "1", "3", "2"),  # low csat: waiting
    "CA2": ("5", "3", "2", "3", "2"),  # low nps: problem not solved
    "CA3": ("2", "2", "", "", "3", "2"),  # both low, reason never given (silence twice)
    "CA4": ("5", "10", "1", "2"),  # no reason asked
    "CA5": ("1",),  # hung up before nps: low csat, no reason
}
WEB = {
    "W1": {"csat": 2, "nps": 9, "ces": 2, REASON: "waiting"},
    "W2": {"csat": 4, "nps": 6, "ces": 2, REASON: "transfers"},
    "W3": {"csat": 4, "nps": 7, "ces": 2},
}


@pytest.fixture
def answered(db, config, api_key):
    """Every branch answered through the IVR and the web survey (the surveys seeded as
    `surveyctl db init` does); returns the month they fall in."""
    init_database(db)
    ivr = ivr_survey.create_app(config).test_client()
    for n, (sid, presses) in enumerate(CALLS.items()):
        call = Call(ivr, sid=sid, caller=f"+86138000000{n:02d}", query="lang=en-US")
        call.start()
        for digits in presses:
            call.silence() if digits == "" else call.press(digits)
        if not call.hung_up():
            call.hang_up()
    web = web_survey.create_app(config).test_client()
    writer = api_key("write")
    for interaction, answers in WEB.items():
        body = {"channel": "chat", "interaction_id": interaction}
        token = web.post("/api/v1/invitations", json=body, headers=writer).get_json()["token"]
        sent = web.post("/api/v1/responses", json={"token": token, "answers": answers})
        assert sent.status_code == 201, sent.get_json()
    return db.events.find_one({"kind": "open"})["meta"]["month"]


EXPECTED = {
    "csat": (4, {"waiting": 2, "(none)": 2}),  # CA1, W1 | CA3, CA5
    "nps": (3, {"unresolved": 1, "transfers": 1, "(none)": 1}),  # CA2 | W2 | CA3
}


def _report(client, key, month, metric, **extra):
    response = client.get(
        "/api/v1/metrics/reasons",
        query_string={"month": month, "metric": metric, **extra},
        headers=key,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


@pytest.mark.parametrize("metric", ["csat", "nps"])
def test_the_breakdown_counts_each_low_score_under_the_reason_given(
    answered, db, config, read_key, metric
):
    client = aggregator.create_app(config).test_client()
    n, counts = EXPECTED[metric]
    for folded in (False, True):  # the unfolded events, then the rollups: the same figures
        if folded:
            fold(db)
        body = _report(client, read_key, answered, metric).get_json()
        assert body["n"] == n and body["metric"] == metric
        assert {r["reason"]: r["n"] for r in body["rows"]} == counts
        assert body["rows"][-1]["reason"] == "(none)"
        for row in body["rows"]:
            assert row["pct"] == pytest.approx(100 * row["n"] / n)
    assert rebuild(db, repair=False)["drift"] == []


def test_the_breakdown_exact_rows_labels_and_intervals(answered, db, config, read_key):
    client = aggregator.create_app(config).test_client()
    body = _report(client, read_key, answered, "csat").get_json()
    first = body["rows"][0]
    assert first["reason"] == "waiting"
    assert first["label"] == {"zh-CN": "等待时间太长", "en-US": "waiting time"}
    assert first["pct"] == 50.0
    # Wilson 95% interval of 2 out of 4 (z = 1.959963984540054)
    assert first["interval"] == pytest.approx([15.003898915214947, 84.99610108478505])


def test_the_breakdown_as_csv(answered, config, read_key):
    client = aggregator.create_app(config).test_client()
    response = _report(client, read_key, answered, "nps", format="csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["reason"], r["n"], r["low_scores_n"]) for r in rows] == [
        ("transfers", "1", "3"),
        ("unresolved", "1", "3"),
        ("(none)", "1", "3"),
        ("(total)", "3", "3"),
    ]
    assert rows[0]["label_en_us"] == "too many transfers"


@pytest.mark.parametrize(
    "query",
    [{"metric": "ces"}, {"metric": "reason"}, {"metric": "csat", "month": "2026-13"}, {}],
)
def test_a_bad_query_is_a_422(config, read_key, query):
    client = aggregator.create_app(config).test_client()
    response = client.get(
        "/api/v1/metrics/reasons", query_string={"month": "2026-10", **query}, headers=read_key
    )
    if "metric" not in query:
        response = client.get("/api/v1/metrics/reasons?month=2026-10", headers=read_key)
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


def test_a_follow_up_carries_the_customers_reason_and_reason_categories_maps_it(
    answered, db, config
):
    fold(db)
    worker = WorkerSettings.from_env(
        {**config, "REASON_CATEGORIES": "low_score:waiting=non-core,billing=payment"}
    )
    while drain_queue(db, worker):
        pass
    follow_ups = {f["interaction"]: f for f in db.follow_ups.find()}
    assert follow_ups["CA1"]["low_score_reasons"] == {"csat": ["waiting"]}
    assert follow_ups["W2"]["low_score_reasons"] == {"nps": ["transfers"]}
    assert follow_ups["CA3"]["low_score_reasons"] == {"csat": [], "nps": []}
    categories = {c["interaction_id"]: c["category"] for c in db.complaints.find()}
    assert categories["CA1"] == categories["W1"] == "non-core"
    assert categories["W2"] == "general"


def test_db_init_gives_an_unedited_earlier_default_the_reason_and_leaves_an_edited_one(db):
    for definition in (POST_CALL, POST_CONTACT):
        without = [q for q in definition["questions"] if q["type"] != "reason"]
        publish_survey(db, {**definition, "questions": without})
    edited = [q for q in POST_CONTACT["questions"] if q["type"] != "reason"][:-1]
    kept = publish_survey(db, {**POST_CONTACT, "questions": edited})
    before = get_survey(db, "post-call")["version"]
    assert ask_low_score_reason(db, (POST_CALL, POST_CONTACT)) == ["post-call"]
    assert get_survey(db, "post-call")["version"] == before + 1
    assert REASON in [q["key"] for q in get_survey(db, "post-call")["questions"]]
    assert get_survey(db, "post-contact")["version"] == kept["version"]  # the edit, kept
    assert ask_low_score_reason(db, (POST_CALL, POST_CONTACT)) == []
