"""The roller counts each settled response exactly once, even with many rollers at once."""

import threading
from datetime import UTC, datetime

from survey_core.responses import record_complete_response
from survey_core.roller import roll_up

QTYPES = {"csat": "csat", "nps": "nps", "ces": "ces"}


def store(db, count):
    for i in range(count):
        meta = {
            "channel": "web",
            "interaction_id": f"R{i}",
            "survey": "s",
            "version": 1,
            "agent_id": f"A{i % 3}",
            "month": "2026-10",
            "started_at": datetime(2026, 10, 1, tzinfo=UTC),
        }
        record_complete_response(db, meta, {"csat": 1 + i % 5}, QTYPES)


def test_concurrent_rollers_count_each_response_once(db):
    store(db, 120)
    errors = []

    def roll():
        try:
            for _ in range(5):
                roll_up(db, limit=25)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=roll) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    roll_up(db)
    assert not errors
    total = db.rollups.find_one({"_id": "2026-10|all|*"})
    assert sum(total["csat"].values()) == 120
    assert total["funnel"]["complete"] == 120
    agents = [db.rollups.find_one({"_id": f"2026-10|agent|A{i}"}) for i in range(3)]
    assert [sum(a["csat"].values()) for a in agents] == [40, 40, 40]
    assert db.responses.count_documents({"dirty": True}) == 0


def test_roll_up_is_idempotent(db):
    store(db, 10)
    assert roll_up(db) == 10
    assert roll_up(db) == 0
    assert sum(db.rollups.find_one({"_id": "2026-10|all|*"})["csat"].values()) == 10


def test_one_process_holds_the_roller_lease_until_it_lapses(db):
    from survey_core.roller import hold_lease

    assert hold_lease(db, "a", seconds=5, now=1000)
    assert not hold_lease(db, "b", seconds=5, now=1001)
    assert hold_lease(db, "a", seconds=5, now=1002)  # renewal
    assert hold_lease(db, "b", seconds=5, now=1008)  # a's lease lapsed at 1007
    assert not hold_lease(db, "a", seconds=5, now=1009)
