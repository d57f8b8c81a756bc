"""The rollups the services keep incrementally equal a rebuild from the raw responses."""

import random

from click.testing import CliRunner

import ivr_survey
from ops.cli import main
from survey_core.rollups.rebuild import rebuild
from survey_core.storage.breaker import breaker
from tests.ivr_survey.twilio_sim import Call
from tests.pipeline import answered, fold


def random_traffic(config, db, calls=40, seed=7):
    """Calls that answer, press wrong keys, stay silent, hang up early, and get replayed."""
    breaker.reset()
    client = ivr_survey.create_app(config).test_client()
    rng = random.Random(seed)
    for i in range(calls):
        agent = rng.choice(["A1", "A2", "A3"])
        c = Call(
            client,
            sid=f"CA{i:04d}",
            caller=f"+86139{i:08d}",
            query=f"agent={agent}&team=t{rng.randint(1, 2)}&reason=r{rng.randint(1, 3)}",
        )
        c.start()
        if rng.random() < 0.2:
            c.start()  # retried webhook
        for _ in range(rng.randint(0, 5)):
            if c.hung_up():
                break
            if c.twiml.find("Record") is not None:
                c.record()
                break
            action = rng.choice(["good", "good", "bad", "silence", "replay"])
            if action == "good":
                c.press(str(rng.randint(1, 5)))
            elif action == "bad":
                c.press("9" if rng.random() < 0.5 else "*")
            elif action == "silence":
                c.silence()
            elif c.last_request:
                c.replay()
        c.hang_up()
        if rng.random() < 0.3:
            c.hang_up()  # retried status callback


def test_incremental_rollups_equal_the_rebuild(config, db, add):
    random_traffic(config, db)
    for i in range(10):
        add(channel="web", csat=1 + i % 5, nps=i, ces=1 + i % 3)
    fold(db)
    result = rebuild(db, repair=False)
    assert result["drift"] == [] and result["documents"] > 10


def test_rebuild_reports_and_repairs_drift(config, db, add):
    add(csat=5)
    add(csat=4)
    fold(db)
    rebuild(db)
    db.rollups.update_one({"_id": "2026-10|all|*"}, {"$inc": {"csat.5": 3, "funnel.offered": -1}})
    db.rollups.delete_one({"_id": "2026-10|agent|A1"})
    result = rebuild(db, month="2026-10")
    drift = {item["rollup"]: item["delta"] for item in result["drift"]}
    assert drift["2026-10|all|*"] == {"csat.5": -3, "funnel.offered": 1}
    assert drift["2026-10|agent|A1"]["csat.4"] == 1
    assert result["repaired"]
    assert rebuild(db, repair=False)["drift"] == []
    assert db.rollups.find_one({"_id": "2026-10|all|*"})["csat"]["5"] == 1


def test_a_late_answer_is_folded_into_records_and_rollups_alike(db, add):
    add(csat=5)
    fold(db)
    meta = {"channel": "web", "interaction_id": "T1", "month": "2026-10"}
    answered(db, meta, "nps", 7, reached=2)  # an answer after the response was counted
    fold(db)
    assert rebuild(db, repair=False)["drift"] == []
    assert db.rollups.find_one({"_id": "2026-10|all|*"})["nps"] == {"7": 1}


def test_rollups_rebuild_command(config, db, add):
    add(csat=3)
    fold(db)
    env = {k: str(v) for k, v in config.items()}
    result = CliRunner().invoke(main, ["rollups", "rebuild", "--month", "2026-10"], env=env)
    assert result.exit_code == 0 and "drift: 0 (none)" in result.stdout
    db.rollups.update_one({"_id": "2026-10|all|*"}, {"$inc": {"csat.5": 1}})
    check = CliRunner().invoke(main, ["rollups", "rebuild", "--check"], env=env)
    assert check.exit_code == 1 and "drift: 1 (found)" in check.stdout
    assert db.rollups.find_one({"_id": "2026-10|all|*"})["csat"]["5"] == 1  # not repaired
    repair = CliRunner().invoke(main, ["rollups", "rebuild"], env=env)
    assert repair.exit_code == 1 and "(repaired)" in repair.stdout
    assert CliRunner().invoke(main, ["rollups", "rebuild", "--check"], env=env).exit_code == 0
    bad = CliRunner().invoke(main, ["rollups", "rebuild", "--month", "October"], env=env)
    assert bad.exit_code == 2


def test_a_status_callback_for_an_unknown_call_does_not_break_the_rebuild(config, db, add):
    """Twilio's status callback without a state (a call we never saw) leaves a record with no
    month: folding skips it, and so must the rebuild."""
    breaker.reset()
    client = ivr_survey.create_app(config).test_client()
    add(csat=5)
    Call(client, sid="CA9999").hang_up()
    fold(db)
    assert rebuild(db, repair=False)["drift"] == []
