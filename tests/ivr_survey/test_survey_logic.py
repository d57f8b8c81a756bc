"""Survey logic on the phone: the default survey asks for a reason after a low CSAT or NPS,
along every branch; a question logic passes by is neither asked nor counted as skipped."""

from __future__ import annotations

import pytest

from tests.ivr_survey.conftest import response_of, rollup

REASON = "low_score_reason"


@pytest.mark.parametrize(
    ("csat", "nps", "asked"),
    [("5", "9", False), ("3", "7", False), ("2", "9", True), ("5", "6", True), ("1", "0", True)],
)
def test_the_reason_is_asked_exactly_after_a_low_csat_or_nps(call, db, csat, nps, asked):
    c = call(query="lang=en-US")
    c.start()
    c.press(csat)
    c.press(nps)
    if asked:
        assert c.asks().startswith("What was the main reason for your score?")
        assert "For waiting time, press 1." in c.asks()
        assert "For something else, press 6." in c.asks()
        assert c.twiml.find("Gather").get("numDigits") == "1"
        c.press("2")
    assert c.asks().startswith("How easy was it")
    c.press("2")
    c.press("2")  # no recorded comment
    assert c.hung_up()
    record = response_of(db, "CA0001")
    expected = {"csat": int(csat), "nps": int(nps), "ces": 2, "consent": False}
    if asked:
        expected[REASON] = "unresolved"
    assert record["answers"] == expected
    assert record["skipped"] == ["comment"] and record["status"] == "complete"
    assert db.events.count_documents({"key": REASON}) == (1 if asked else 0)


def test_the_reason_menu_is_read_in_chinese(call):
    c = call(query="lang=zh-CN")
    c.start()
    c.press("1")
    c.press("8")
    assert "等待时间太长请按1。" in c.asks() and "其他原因请按6。" in c.asks()
    assert c.twiml.find("Gather").find("Say").get("language") == "zh-CN"


def test_the_reason_reprompts_on_a_wrong_key_and_on_silence_like_any_question(call, db):
    c = call(query="lang=en-US")
    c.start()
    c.press("1")
    c.press("9")
    c.press("7")  # six options: 7 is not one
    assert "Sorry, that is not a valid answer." in c.says()
    assert c.asks().startswith("What was the main reason")
    c.silence()
    assert "Sorry, we did not hear your answer." in c.says()
    c.press("1")
    assert c.asks().startswith("How easy was it")
    assert response_of(db, "CA0001")["answers"][REASON] == "waiting"


def test_a_reason_never_given_is_a_skip_and_a_reason_never_asked_is_not(call, db):
    low = call(sid="CA1", caller="+8613800000001", query="lang=en-US")
    low.start()
    for digits in ("1", "9", "0", "0", "0"):  # three wrong keys: the reason is skipped
        low.press(digits)
    assert low.asks().startswith("How easy was it")
    high = call(sid="CA2", caller="+8613800000002", query="lang=en-US")
    high.start()
    for digits in ("5", "9"):
        high.press(digits)
    assert response_of(db, "CA1")["skipped"] == [REASON]
    assert response_of(db, "CA2")["skipped"] == []


@pytest.mark.parametrize(
    ("presses", "partial_at"),
    [
        (("5",), "nps"),  # hung up at nps
        (("5", "9"), "ces"),  # the reason was not asked: stopped at ces, not at the reason
        (("1", "9"), REASON),  # hung up while the reason was asked
        (("1", "9", "3"), "ces"),
    ],
)
def test_a_call_ended_early_is_partial_at_the_question_it_was_asked(call, db, presses, partial_at):
    c = call(query="lang=en-US")
    c.start()
    for digits in presses:
        c.press(digits)
    c.hang_up()
    record = response_of(db, "CA0001")
    assert record["status"] == "partial" and record["last_question_reached"] == partial_at
    funnel = rollup(db)["funnel"]
    assert funnel["partial"] == 1 and funnel["partial_at"] == {partial_at: 1}


def test_every_branch_adds_up_in_the_funnel(call, db):
    branches = [("5", "9", "2", "2"), ("1", "9", "4", "2", "2"), ("5", "3", "1", "2", "2")]
    for n, presses in enumerate(branches):
        c = call(sid=f"CA{n}", caller=f"+861380000000{n}", query="lang=en-US")
        c.start()
        for digits in presses:
            c.press(digits)
        assert c.hung_up()
    funnel = rollup(db)["funnel"]
    assert funnel["offered"] == funnel["started"] == funnel["complete"] == 3
    assert funnel.get("partial", 0) == 0 and not funnel.get("partial_at")
    reasons = {r["interaction_id"]: r["answers"].get(REASON) for r in db.responses.find()}
    assert reasons == {"CA0": None, "CA1": "unclear", "CA2": "waiting"}


@pytest.mark.parametrize("value", ["bogus", 3, True, {"url": "x", "duration": 1}])
def test_a_signed_state_carrying_a_reason_that_is_no_option_ends_the_call(call, db, value):
    import base64
    import json
    from urllib.parse import parse_qsl, urlsplit

    c = call(query="lang=en-US")
    c.start()
    c.press("1")
    c.press("9")
    token = dict(parse_qsl(urlsplit(c.gather_action()).query))["state"]
    state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    state["answers"][REASON] = value
    forged = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    stored = db.events.count_documents({})
    response = c.post(f"/ivr/answer?state={forged}", {"Digits": "3"})
    assert "<Hangup />" in response.get_data(as_text=True)
    assert db.events.count_documents({}) == stored


def _survey(*questions):
    from survey_core.surveys.definitions import as_stored

    return as_stored(
        {
            "slug": "logic",
            "title": {"en-US": "Logic"},
            "channels": ["ivr"],
            "languages": ["en-US"],
            "default_language": "en-US",
            "greeting": {"en-US": "Hi"},
            "thanks": {"en-US": "Bye"},
            "questions": list(questions),
        }
    )


def _q(key, kind, **extra):
    return {"key": key, "type": kind, "prompt": {"en-US": key}, **extra}


def _state():
    from ivr_survey.flow import CallState

    return CallState("logic", 1, "en-US", "CA1", "2026-12", 1_796_000_000.0)


CHOICES = [{"value": v, "label": {"en-US": v}} for v in ("phone", "mail")]


@pytest.mark.parametrize(("digit", "asked"), [("1", "phone_q"), ("2", "csat")])
def test_a_condition_on_a_choice_compares_the_options_value_not_the_key_pressed(digit, asked):
    from ivr_survey.flow import advance

    survey = _survey(
        _q("how", "choice", choices=CHOICES),
        _q("phone_q", "ces", show_if={"how": {"eq": "phone"}}),
        _q("csat", "csat"),
    )
    step = advance(survey, _state(), digit)
    assert survey["questions"][step.state.q]["key"] == asked
    assert step.state.skipped == []


def test_a_hidden_consent_question_hides_its_recording_and_ends_the_survey():
    from ivr_survey.flow import advance

    survey = _survey(
        _q("csat", "csat"),
        _q("consent", "consent", required=False, show_if={"csat": {"lte": 2}}),
        _q("comment", "recording", required=False),
    )
    happy = advance(survey, _state(), "5")
    assert happy.done and happy.state.q == 3 and happy.state.skipped == []
    unhappy = advance(survey, _state(), "2")
    assert not unhappy.done and survey["questions"][unhappy.state.q]["key"] == "consent"
