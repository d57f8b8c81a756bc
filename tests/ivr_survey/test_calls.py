"""Whole calls walked by following the TwiML, as Twilio Voice would."""

import json

from tests.ivr_survey.conftest import response_of, rollup
from tests.pipeline import fold


def full_call(c):
    c.start()
    c.press("5")
    c.press("10")
    c.press("2")
    c.press("1")  # yes, record a comment
    c.record()
    return c


def test_full_call_stores_every_answer_and_counts_each_once(call, db):
    c = full_call(call(query="agent=A17&team=north&reason=billing&lang=en-US"))
    assert c.hung_up()
    assert "Thank you for your feedback" in c.says()[-1]
    c.hang_up()
    doc = response_of(db, "CA0001")
    assert doc["answers"]["csat"] == 5 and doc["answers"]["nps"] == 10
    assert doc["answers"]["ces"] == 2
    assert doc["answers"]["comment"] == {"url": "https://api.twilio.com/rec/RE1", "duration": 7}
    assert doc["status"] == "complete" and doc["agent_id"] == "A17"
    for dim, value in [
        ("all", "*"),
        ("agent", "A17"),
        ("team", "north"),
        ("reason", "billing"),
        ("channel", "ivr"),
        ("survey", "post-call"),
    ]:
        r = rollup(db, dim, value)
        assert r["csat"] == {"5": 1} and r["nps"] == {"10": 1} and r["ces"] == {"2": 1}, dim
        assert r["funnel"]["offered"] == 1 and r["funnel"]["complete"] == 1
    cell = db.rollups.find_one({"dim": "cell"})
    assert cell["agent"] == "A17" and cell["reason"] == "billing"


def test_questions_come_in_order_in_the_chosen_language(call):
    c = call(query="lang=zh-CN")
    c.start()
    assert c.twiml.find("Say").get("language") == "zh-CN"
    assert "1到5" in c.asks()
    c.press("4")
    assert "0到10" in c.asks()
    gather = c.twiml.find("Gather")
    assert gather.get("finishOnKey") == "#" and gather.get("numDigits") is None
    c.press("9")
    assert "容易" in c.asks()
    assert c.twiml.find("Gather").get("numDigits") == "1"
    c.press("1")
    assert "录音留言" in c.asks() and c.twiml.find("Record") is None  # consent first
    c.press("1")
    assert c.twiml.find("Record") is not None


def test_nps_ten_is_one_then_zero(call, db):
    c = call()
    c.start()
    c.press("3")
    c.press("10")
    assert response_of(db, "CA0001")["answers"]["nps"] == 10
    assert rollup(db)["nps"] == {"10": 1}  # an answer counts as soon as it is given
    c.hang_up()
    assert rollup(db)["nps"] == {"10": 1}


def test_invalid_key_is_apologised_for_and_asked_again_then_skipped(call, db):
    c = call(query="lang=en-US")
    c.start()
    question = c.asks()
    c.press("9")
    assert "not a valid answer" in c.says()[0] and c.asks() == question
    c.press("0")
    assert c.asks() == question
    c.press("*")
    assert "recommend" in c.asks()  # skipped after two retries
    doc = response_of(db, "CA0001")
    assert doc["skipped"] == ["csat"] and "csat" not in doc["answers"]
    assert "csat" not in rollup(db)


def test_silence_is_asked_once_more_then_skipped(call, db):
    c = call(query="lang=en-US")
    c.start()
    c.press("4")
    c.silence()
    assert "did not hear" in c.says()[0] and "recommend" in c.asks()
    c.silence()
    assert "easy" in c.asks()
    assert response_of(db, "CA0001")["skipped"] == ["nps"]


def test_replayed_gather_stores_one_answer(call, db):
    c = call()
    c.start()
    c.press("5")
    first = c.asks()
    c.replay()
    c.replay()
    assert c.asks() == first
    c.hang_up()
    assert rollup(db)["csat"] == {"5": 1}


def test_second_different_answer_to_the_same_question_is_ignored(call, db, caplog):
    c = call()
    c.start()
    action = c.gather_action()
    c.press("5")
    c.post(action, {"Digits": "1"})
    assert response_of(db, "CA0001")["answers"]["csat"] == 5
    c.hang_up()
    assert rollup(db)["csat"] == {"5": 1}
    assert any("second, different answer" in r.getMessage() for r in caplog.records)


def test_hang_up_midway_is_partial_with_the_question_reached(call, db):
    c = call()
    c.start()
    c.press("4")
    c.hang_up()
    c.hang_up()  # Twilio retries status callbacks too
    doc = response_of(db, "CA0001")
    assert doc["status"] == "partial" and doc["last_question_reached"] == "nps"
    assert doc["answers"] == {"csat": 4}
    funnel = rollup(db)["funnel"]
    assert funnel["partial"] == 1 and funnel["partial_at"] == {"nps": 1}
    assert rollup(db)["csat"] == {"4": 1}


def test_silent_at_the_optional_comment_still_completes(call, db):
    c = call()
    c.start()
    for digits in ("5", "9", "1", "1"):
        c.press(digits)
    assert c.twiml.find("Record") is not None and c.hung_up()  # thanks follow the Record
    c.hang_up()
    assert response_of(db, "CA0001")["status"] == "complete"


def test_retried_voice_webhook_makes_one_response(call, db):
    c = call()
    c.start()
    c.start()
    c.hang_up()
    assert response_of(db, "CA0001")["status"] == "partial"
    assert db.responses.count_documents({}) == 1
    assert rollup(db)["funnel"]["offered"] == 1


def test_call_re_entering_resumes_at_the_question_reached(call, db):
    c = call(query="lang=en-US")
    c.start()
    c.press("5")
    c.start()
    assert "recommend" in c.asks()


def test_interaction_parameter_names_the_response(call, db):
    c = call(query="interaction=TICKET-9")
    full_call(c)
    c.hang_up()
    doc = response_of(db, "TICKET-9")
    assert doc["call_sid"] == "CA0001" and doc["status"] == "complete"


def test_transcription_is_kept_beside_the_recording(call, db):
    c = call(query="lang=en-US")
    c.start()
    for digits in ("5", "9", "1", "1"):
        c.press(digits)
    record = c.twiml.find("Record")
    assert record.get("transcribe") == "true"
    c.post(
        record.get("transcribeCallback"),
        {"TranscriptionText": "great agent", "TranscriptionStatus": "completed"},
    )
    assert response_of(db, "CA0001")["transcripts"] == {"comment": "great agent"}


def test_caller_number_is_stored_hashed_and_never_logged(call, db, capsys):
    c = full_call(call(caller="+8613912345678"))
    c.hang_up()
    doc = response_of(db, "CA0001")
    stored = json.dumps(doc, default=str)
    assert "13912345678" not in stored and len(doc["caller_hash"]) == 64
    assert "13912345678" not in capsys.readouterr().out


def test_call_without_a_status_callback_is_settled_after_it_goes_idle(call, db):
    from datetime import UTC, datetime, timedelta

    from survey_core.responses.idle import settle_idle

    c = call()
    c.start()
    c.press("4")
    fold(db)  # the worker sweeps the records it has folded
    assert settle_idle(db, idle_minutes=30) == 0
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert settle_idle(db, idle_minutes=30, now=later) == 1
    doc = response_of(db, "CA0001")
    assert doc["status"] == "partial" and doc["last_question_reached"] == "nps"
    assert rollup(db)["csat"] == {"4": 1}
    c.hang_up()  # a late status callback changes nothing
    assert rollup(db)["funnel"]["partial"] == 1


def test_silence_without_action_on_empty_result_follows_the_redirect(call, db):
    c = call(query="lang=en-US")
    c.start()
    redirect = c.twiml.find("Redirect")
    assert redirect is not None and redirect.text == c.gather_action()
    c.post(redirect.text, {})  # a Redirect carries no Digits
    assert "did not hear" in c.says()[0]


def test_digits_ending_with_the_pound_key_still_count(call, db):
    c = call()
    c.start()
    c.press("4")
    c.press("10#")
    assert response_of(db, "CA0001")["answers"]["nps"] == 10


def test_a_survey_not_used_on_the_phone_ends_the_call_politely(call, db):
    c = call(query="survey=post-contact&lang=en-US")
    c.start()
    assert c.hung_up()
    assert db.events.count_documents({}) == 0
