"""Database down in the middle of a call: the caller goes on, nothing is lost or doubled."""

import pytest

import ivr_survey
from ivr_survey.store import apply, breaker, catalog
from survey_core import mongo
from survey_core.indexes import ensure_indexes
from survey_core.roller import roll_up
from tests.ivr_survey.twilio_sim import Call


def outage_app(server, tmp_path, name):
    """An IVR app on `server` with a short database timeout, and its database."""
    breaker.reset()
    catalog._latest.clear()
    config = {
        "VOC_ENV": "test",
        "MONGO_URI": server.uri,
        "MONGO_DB": name,
        "DB_TIMEOUT_MS": "800",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "PUBLIC_BASE_URL": "https://voc.example.com",
        "TWILIO_AUTH_TOKEN": "test-auth-token",
    }
    db = mongo.get_client(server.uri, 800)[name]
    ensure_indexes(db)
    return ivr_survey.create_app(config), db


@pytest.mark.slow
def test_database_down_mid_call_loses_nothing_and_counts_once(own_server, tmp_path):
    breaker.reset()
    catalog._latest.clear()
    config = {
        "VOC_ENV": "test",
        "MONGO_URI": own_server.uri,
        "MONGO_DB": "outage_ivr",
        "DB_TIMEOUT_MS": "800",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "PUBLIC_BASE_URL": "https://voc.example.com",
        "TWILIO_AUTH_TOKEN": "test-auth-token",
    }
    app = ivr_survey.create_app(config)
    db = mongo.get_client(own_server.uri, 800)["outage_ivr"]
    ensure_indexes(db)
    c = Call(app.test_client(), query="lang=en-US")
    c.start()
    c.press("4")

    own_server.stop()
    assert "recommend" in c.asks()
    c.press("10")  # the database is down: the caller still hears the next question
    assert "easy" in c.asks()
    c.press("2")
    assert c.twiml.find("Record") is not None
    c.record()
    assert c.hung_up() and "Thank you" in c.says()[-1]
    c.hang_up()
    c.hang_up()  # Twilio's retry lands in the spool too
    spool = app.extensions["ivr_spool"]
    assert len(spool.pending()) >= 4

    own_server.start()
    breaker.reset()
    db = mongo.get_client(own_server.uri, 800)["outage_ivr"]
    written, left = spool.drain(lambda record: apply(db, record))
    assert left == 0 and written >= 4
    spool.drain(lambda record: apply(db, record))
    doc = db.responses.find_one({"interaction_id": "CA0001"})
    assert doc["answers"]["csat"] == 4 and doc["answers"]["nps"] == 10
    assert doc["answers"]["ces"] == 2 and doc["answers"]["comment"]["duration"] == 7
    assert doc["status"] == "complete"
    roll_up(db)
    totals = db.rollups.find_one({"dim": "all"})
    assert totals["csat"] == {"4": 1} and totals["nps"] == {"10": 1} and totals["ces"] == {"2": 1}
    assert totals["funnel"]["complete"] == 1 and totals["funnel"]["offered"] == 1


@pytest.mark.slow
def test_database_down_when_the_call_starts_still_runs_the_survey(own_server, tmp_path):
    breaker.reset()
    catalog._latest.clear()
    config = {
        "VOC_ENV": "test",
        "MONGO_URI": own_server.uri,
        "MONGO_DB": "outage_ivr2",
        "DB_TIMEOUT_MS": "800",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "PUBLIC_BASE_URL": "https://voc.example.com",
        "TWILIO_AUTH_TOKEN": "test-auth-token",
    }
    app = ivr_survey.create_app(config)
    db = mongo.get_client(own_server.uri, 800)["outage_ivr2"]
    ensure_indexes(db)
    own_server.stop()
    c = Call(app.test_client(), query="lang=en-US")
    assert c.start().status_code == 200
    assert c.twiml.find("Gather") is not None  # the built-in survey asks the first question
    c.press("5")
    own_server.start()
    breaker.reset()
    c.press("9")  # the first write after the outage also writes what the call carried
    db = mongo.get_client(own_server.uri, 800)["outage_ivr2"]
    doc = db.responses.find_one({"interaction_id": "CA0001"})
    assert doc["answers"] == {"csat": 5, "nps": 9}
    c.hang_up()
    app.extensions["ivr_spool"].drain(lambda record: apply(db, record))
    roll_up(db)
    totals = db.rollups.find_one({"dim": "all"})
    assert totals["csat"] == {"5": 1} and totals["funnel"]["offered"] == 1
