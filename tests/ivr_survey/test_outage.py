"""Database down in the middle of a call: the caller goes on, nothing is lost or doubled."""

import time

import pytest

import ivr_survey
from ops.database import init_database
from survey_core.responses import events
from survey_core.storage import client
from survey_core.storage.breaker import breaker
from tests.ivr_survey.twilio_sim import Call
from tests.pipeline import fold


def outage_app(server, tmp_path, name):
    """An IVR app on `server` with a short database timeout, and its database."""
    breaker.reset()
    config = {
        "VOC_ENV": "test",
        "MONGO_URI": server.uri,
        "MONGO_DB": name,
        "DB_TIMEOUT_MS": "800",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "PUBLIC_BASE_URL": "https://voc.example.com",
        "TWILIO_AUTH_TOKEN": "test-auth-token",
    }
    db = client.get_client(server.uri, 800)[name]
    init_database(db)
    return ivr_survey.create_app(config), db


def replay(app, db, within_s: float = 15.0):
    """What the worker does each round: replay the spool (until the driver sees the server
    again, as the worker's next rounds would)."""
    spool = app.extensions["ivr_spool"]
    deadline = time.monotonic() + within_s
    written = 0
    while True:
        done, left = spool.drain(lambda ev: events.insert(db, ev))
        written += done
        if not left or time.monotonic() > deadline:
            return written, left
        time.sleep(0.2)


@pytest.mark.slow
def test_database_down_mid_call_loses_nothing_and_counts_once(own_server, tmp_path):
    app, db = outage_app(own_server, tmp_path, "outage_ivr")
    c = Call(app.test_client(), query="lang=en-US")
    c.start()
    c.press("4")

    own_server.stop()
    assert "recommend" in c.asks()
    c.press("10")  # the database is down: the caller still hears the next question
    assert "easy" in c.asks()
    c.press("2")
    c.press("1")
    assert c.twiml.find("Record") is not None
    c.record()
    assert c.hung_up() and "Thank you" in c.says()[-1]
    c.hang_up()
    c.hang_up()  # Twilio's retry lands in the spool too
    assert len(app.extensions["ivr_spool"].pending()) >= 4

    own_server.start()
    breaker.reset()
    written, left = replay(app, db)
    assert left == 0 and written >= 4
    replay(app, db)
    fold(db)
    doc = db.responses.find_one({"_id": "ivr:CA0001"})
    assert doc["answers"]["csat"] == 4 and doc["answers"]["nps"] == 10
    assert doc["answers"]["ces"] == 2 and doc["answers"]["comment"]["duration"] == 7
    assert doc["status"] == "complete"
    totals = db.rollups.find_one({"dim": "all"})
    assert totals["csat"] == {"4": 1} and totals["nps"] == {"10": 1} and totals["ces"] == {"2": 1}
    assert totals["funnel"]["complete"] == 1 and totals["funnel"]["offered"] == 1


@pytest.mark.slow
def test_database_down_when_the_call_starts_still_runs_the_survey(own_server, tmp_path):
    app, db = outage_app(own_server, tmp_path, "outage_ivr2")
    own_server.stop()
    c = Call(app.test_client(), query="lang=en-US")
    assert c.start().status_code == 200
    assert c.twiml.find("Gather") is not None  # the built-in survey asks the first question
    c.press("5")
    own_server.start()
    breaker.reset()
    c.press("9")  # the first write after the outage also writes what the call carried
    fold(db)
    doc = db.responses.find_one({"_id": "ivr:CA0001"})
    assert doc["answers"] == {"csat": 5, "nps": 9}
    c.hang_up()
    replay(app, db)
    fold(db)
    totals = db.rollups.find_one({"dim": "all"})
    assert totals["csat"] == {"5": 1} and totals["funnel"]["offered"] == 1


def test_status_callback_before_the_spooled_last_answer_ends_complete(call, db, app):
    """The fault of the old plumbing: the status callback reached the database while the
    call's last answers were still spooled. Folding in any order gives the same record."""
    c = call()
    c.start()
    c.press("4")
    spool = app.extensions["ivr_spool"]
    breaker.trip()  # the database "fails": the next answers go to the spool
    c.press("9")
    c.press("2")
    c.press("1")
    c.record()
    breaker.reset()
    c.hang_up()  # the status callback lands first ...
    fold(db)
    early = db.responses.find_one({"_id": "ivr:CA0001"})
    assert early["status"] == "partial" and early["last_question_reached"] == "nps"
    spool.drain(lambda ev: events.insert(db, ev))  # ... then the worker replays the spool
    fold(db)
    doc = db.responses.find_one({"_id": "ivr:CA0001"})
    assert doc["status"] == "complete" and "last_question_reached" not in doc
    totals = db.rollups.find_one({"_id": f"{doc['month']}|all|*"})
    assert totals["funnel"] == {
        "offered": 1,
        "started": 1,
        "complete": 1,
        "partial": 0,
        "partial_at": {"nps": 0},
    }
    assert totals["csat"] == {"4": 1} and totals["nps"] == {"9": 1} and totals["ces"] == {"2": 1}


@pytest.mark.parametrize(
    "failure",
    [
        {"errorCode": 2},  # an error the driver does not call an outage
        {"errorCode": 91},  # ShutdownInProgress: "not primary"
        {"closeConnection": True},  # the connection drops mid-insert
    ],
)
def test_a_failed_insert_mid_call_is_spooled_and_counted_once(call, db, app, failure):
    c = call()
    c.start()
    db.client.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": 1},
        data={"failCommands": ["insert"], **failure},
    )
    c.press("4")
    assert "推荐" in c.asks()  # the caller hears the next question
    breaker.reset()
    c.press("9")  # carries the held answer along; the spool has it too
    c.press("2")
    c.press("1")
    c.record()
    c.hang_up()
    replay(app, db)
    fold(db)
    doc = db.responses.find_one({"_id": "ivr:CA0001"})
    assert doc["answers"]["csat"] == 4 and doc["status"] == "complete"
    totals = db.rollups.find_one({"_id": f"{doc['month']}|all|*"})
    assert totals["csat"] == {"4": 1} and totals["funnel"]["complete"] == 1
