"""Consent before recording: only a caller's yes (1) leads to a <Record>."""

from __future__ import annotations

import base64
import copy
import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import pytest

from ivr_survey.default_survey import POST_CALL
from tests.ivr_survey.conftest import response_of, rollup
from tests.ivr_survey.twilio_sim import Call

RECORDING_URL = "https://api.twilio.com/rec/RE1"
# The default survey as it was stored before consent was asked: the comment right after ces.
LEGACY = {
    **copy.deepcopy(POST_CALL),
    "questions": [q for q in copy.deepcopy(POST_CALL["questions"]) if q["type"] != "consent"],
}


def _records(c: Call) -> list[ET.Element]:
    return [node for twiml in c.history for node in twiml.iter("Record")]


def _to_consent(c: Call) -> Call:
    c.start()
    for digits in ("5", "9", "2"):
        c.press(digits)
    return c


def _state_of(url: str) -> dict:
    token = dict(parse_qsl(urlsplit(url).query))["state"]
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _token(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _stored(db) -> str:
    return json.dumps([*db.events.find(), *db.responses.find()], default=str)


def test_the_default_survey_asks_consent_before_the_comment_in_both_languages(call):
    en = _to_consent(call(sid="CA1", caller="+8613800000001", query="lang=en-US"))
    assert "press 1" in en.asks() and "press 2" in en.asks()
    assert en.twiml.find("Gather").get("numDigits") == "1" and not _records(en)
    zh = _to_consent(call(sid="CA2", caller="+8613800000002", query="lang=zh-CN"))
    assert "按1" in zh.asks() and "按2" in zh.asks() and "录音" in zh.asks()
    assert zh.twiml.find("Gather").find("Say").get("language") == "zh-CN"


def test_caller_who_presses_2_is_never_recorded(call, db):
    c = _to_consent(call(query="lang=en-US"))
    c.press("2")
    assert c.hung_up() and "Thank you for your feedback" in c.says()[-1]
    c.hang_up()
    assert _records(c) == []
    doc = response_of(db, "CA0001")
    assert doc["answers"] == {"csat": 5, "nps": 9, "ces": 2, "consent": False}
    assert doc["skipped"] == ["comment"] and doc["status"] == "complete"
    assert "rec/" not in _stored(db)
    totals = rollup(db)  # a consent counts in no metric
    assert "consent" not in json.dumps(totals, default=str) and totals["csat"] == {"5": 1}


def test_caller_who_presses_1_is_asked_for_the_comment(call, db):
    c = _to_consent(call(query="lang=en-US"))
    c.press("1")
    assert len(_records(c)) == 1 and "speak after the tone" in c.says()[0]
    c.record(RECORDING_URL, 7)
    c.hang_up()
    doc = response_of(db, "CA0001")
    assert doc["answers"]["consent"] is True
    assert doc["answers"]["comment"] == {"url": RECORDING_URL, "duration": 7}


def test_the_consent_answer_is_an_event_with_its_time(call, db):
    c = _to_consent(call())
    c.press("1")
    ev = db.events.find_one({"kind": "answer", "key": "consent"})
    assert ev["value"] is True and ev["qtype"] == "consent" and ev["at"] is not None
    assert "scores" not in ev and response_of(db, "CA0001")["scores"] == {
        "csat": 5,
        "nps": 9,
        "ces": 2,
    }


def test_silence_twice_at_consent_skips_the_comment_without_a_record(call, db):
    c = _to_consent(call(query="lang=en-US"))
    c.silence()
    assert "did not hear" in c.says()[0] and "press 1" in c.asks()
    c.silence()
    assert c.hung_up() and _records(c) == []
    c.hang_up()
    doc = response_of(db, "CA0001")
    assert doc["skipped"] == ["consent", "comment"] and "consent" not in doc["answers"]
    assert doc["status"] == "complete"


def test_an_invalid_key_at_consent_is_asked_again_then_means_no(call, db):
    c = _to_consent(call(query="lang=en-US"))
    for digits in ("3", "0"):
        c.press(digits)
        assert "not a valid answer" in c.says()[0] and "press 1" in c.asks()
    c.press("9")
    assert c.hung_up() and _records(c) == []
    assert response_of(db, "CA0001")["skipped"] == ["consent", "comment"]


def test_a_call_back_asks_consent_the_same_way(call, db):
    c = _to_consent(call(direction="outbound-api", query="interaction=TICKET-7&lang=en-US"))
    assert "press 1" in c.asks()
    c.press("2")
    assert c.hung_up() and _records(c) == []
    doc = response_of(db, "TICKET-7")
    assert doc["answers"]["consent"] is False and doc["skipped"] == ["comment"]


def test_a_record_webhook_without_a_yes_stores_no_recording(call, db):
    c = _to_consent(call())
    state = _state_of(c.gather_action())
    # Signed as Twilio would sign it, but at the comment with no yes: nothing is kept.
    at_comment = {**state, "q": state["q"] + 1}
    c.post(
        f"/ivr/record?state={_token(at_comment)}",
        {"RecordingUrl": RECORDING_URL, "RecordingDuration": "7"},
    )
    assert c.hung_up() and _records(c) == []
    c.post(
        f"/ivr/transcription?state={_token(at_comment)}",
        {"TranscriptionText": "hello", "TranscriptionStatus": "completed"},
    )
    doc = response_of(db, "CA0001")
    assert "comment" not in doc["answers"] and doc["transcripts"] == {}
    assert "rec/" not in _stored(db)


def test_a_state_with_a_yes_for_a_score_is_refused(call, db):
    c = call()
    c.start()
    c.press("5")
    state = _state_of(c.gather_action())
    stored = db.events.count_documents({})
    c.post(f"/ivr/answer?state={_token({**state, 'answers': {'csat': True}})}", {"Digits": "9"})
    assert c.hung_up() and db.events.count_documents({}) == stored
    c.post(f"/ivr/answer?state={_token({**state, 'answers': {'csat': 5, 'consent': 1}})}", {})
    assert c.hung_up() and db.events.count_documents({}) == stored
    no_url = {"csat": 5, "consent": True, "comment": {"url": True, "duration": 5}}
    c.post(f"/ivr/answer?state={_token({**state, 'answers': no_url})}", {"Digits": "9"})
    assert c.hung_up() and db.events.count_documents({}) == stored


def test_a_stored_definition_without_consent_still_runs_and_never_records(call, db):
    from survey_core.surveys.definitions import as_stored

    with pytest.raises(Exception, match="consent"):
        as_stored(LEGACY)
    db.surveys.delete_many({"slug": "post-call"})  # as seeded before consent was asked
    db.surveys.insert_one({**copy.deepcopy(LEGACY), "version": 1})
    c = call(query="lang=en-US")
    c.start()
    for digits in ("5", "9", "2"):
        c.press(digits)
    assert c.hung_up() and _records(c) == []  # the comment is skipped, not asked
    c.hang_up()
    doc = response_of(db, "CA0001")
    assert doc["skipped"] == ["comment"] and doc["status"] == "complete"


def test_a_definition_with_a_recording_and_no_consent_before_it_is_refused(client, api_key):
    admin = api_key("admin")
    legacy = {**copy.deepcopy(LEGACY), "slug": "no-consent"}
    response = client.post("/api/v1/surveys", json=legacy, headers=admin)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "validation_error" or body["status"] == 422
    at = str(next(i for i, q in enumerate(LEGACY["questions"]) if q["key"] == "comment"))
    assert body["errors"]["questions"][at]["type"] == [
        "The recording question 'comment' needs a consent question right before it."
    ]


def test_a_consent_question_not_right_before_the_recording_is_refused(client, api_key):
    admin = api_key("admin")
    questions = copy.deepcopy(POST_CALL["questions"])
    consent = questions.pop(next(i for i, q in enumerate(questions) if q["type"] == "consent"))
    questions.insert(0, consent)  # consent first, the comment after ces
    comment = str(len(questions) - 1)
    bad = {**copy.deepcopy(POST_CALL), "slug": "far-consent", "questions": questions}
    response = client.post("/api/v1/surveys", json=bad, headers=admin)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]["questions"]
    assert set(errors) == {"0", comment}
    assert "needs a recording question right after it" in errors["0"]["type"][0]
    assert "'comment' needs a consent question" in errors[comment]["type"][0]
    good = {**copy.deepcopy(POST_CALL), "slug": "with-consent"}
    assert client.post("/api/v1/surveys", json=good, headers=admin).status_code == 201
