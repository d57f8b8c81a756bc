"""The folding worker: exactly once with several workers, in any order, and reports that
include unfolded events without writing."""

import threading
from datetime import UTC, datetime

from ops.worker import survey_lookup
from survey_core.folding.batch import fold_batch
from survey_core.reports import queries
from survey_core.reports.snapshot import Snapshot
from survey_core.responses import events
from survey_core.rollups.rebuild import rebuild
from tests.pipeline import answered, closed, fold, opened, submit

START = datetime(2026, 10, 1, tzinfo=UTC).timestamp()


def meta(i, channel="web"):
    return {
        "channel": channel,
        "interaction_id": f"R{i}",
        "survey": "post-contact",
        "version": 1,
        "agent_id": f"A{i % 3}",
        "month": "2026-10",
        "started_at": START,
    }


def test_three_concurrent_workers_count_each_response_once(db):
    for i in range(150):
        submit(db, meta(i), {"csat": 1 + i % 5, "nps": i % 11})
    survey_of = survey_lookup(db)
    errors = []

    def work():
        try:
            while True:
                try:
                    if fold_batch(db, survey_of, lag_s=0, limit=20) == 0:
                        return
                except Exception as exc:  # noqa: BLE001 - a moved watermark: read again
                    if type(exc).__name__ != "WatermarkMoved":
                        raise
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    total = db.rollups.find_one({"_id": "2026-10|all|*"})
    assert sum(total["csat"].values()) == 150 and sum(total["nps"].values()) == 150
    assert total["funnel"]["complete"] == 150 and total["funnel"]["offered"] == 150
    agents = [db.rollups.find_one({"_id": f"2026-10|agent|A{i}"}) for i in range(3)]
    assert [sum(a["csat"].values()) for a in agents] == [50, 50, 50]
    assert rebuild(db, repair=False)["drift"] == []


def test_folding_twice_adds_nothing(db):
    submit(db, meta(1), {"csat": 5})
    assert fold(db) == 1
    assert fold(db) == 0
    assert db.rollups.find_one({"_id": "2026-10|all|*"})["csat"] == {"5": 1}


def test_events_in_any_order_fold_to_the_same_record(db):
    call = meta(7, channel="ivr") | {"survey": "post-call"}
    closed(db, call)  # the status callback first ...
    fold(db)
    answered(db, call, "csat", 4, reached=1)  # ... then what an outage held back
    opened(db, call)
    fold(db)
    doc = db.responses.find_one({"_id": "ivr:R7"})
    assert doc["status"] == "partial" and doc["last_question_reached"] == "nps"
    total = db.rollups.find_one({"_id": "2026-10|all|*"})
    assert total["funnel"]["partial"] == 1 and total["csat"] == {"4": 1}
    assert rebuild(db, repair=False)["drift"] == []


def test_a_replayed_event_is_a_duplicate_and_a_different_answer_a_conflict(db):
    call = meta(8)
    assert answered(db, call, "csat", 4, reached=1) == "stored"
    assert answered(db, call, "csat", 4, reached=1) == "duplicate"
    assert answered(db, call, "csat", 2, reached=1) == "conflict"
    assert db.events.count_documents({}) == 1


def test_a_report_includes_an_answer_before_any_worker_folds_it_and_writes_nothing(db):
    survey_of = survey_lookup(db)
    submit(db, meta(1), {"csat": 5})
    fold(db)
    submit(db, meta(2), {"csat": 2})  # not folded
    before = {name: list(db[name].find()) for name in ("rollups", "responses", "fold_state")}
    snap = Snapshot(db, survey_of)
    rows = queries.monthly(snap, ["2026-10"], {}, "adjusted")
    assert rows[0]["csat"]["n"] == 2 and rows[0]["responses"] == 2
    by_agent = queries.breakdown(snap, "2026-10", "agent", 0, "adjusted")
    assert snap.takes == 1  # the unfolded events were read and folded once for both reports
    assert {r["value"]: r["csat"]["n"] for r in by_agent} == {"A1": 1, "A2": 1}
    after = {name: list(db[name].find()) for name in ("rollups", "responses", "fold_state")}
    assert before == after
    fold(db)
    assert queries.monthly(Snapshot(db, survey_of), ["2026-10"], {}, "adjusted") == rows


def test_the_worker_replays_the_spool(db, tmp_path):
    from ops.worker import step
    from survey_core.responses.spool import Spool
    from survey_core.settings import WorkerSettings

    settings = WorkerSettings.from_env(
        {"VOC_ENV": "test", "SPOOL_DIR": str(tmp_path), "FOLD_LAG_SECONDS": "0"}
    )
    Spool(tmp_path).put(
        events.event(events.Kind.SUBMIT, meta(3), answers={"csat": 3}, qtypes={"csat": "csat"})
    )
    assert step(db, settings, survey_lookup(db), sweep=True) == 1
    assert db.rollups.find_one({"_id": "2026-10|all|*"})["csat"] == {"3": 1}
    assert Spool(tmp_path).pending() == []


def test_an_event_that_lands_behind_the_watermark_is_folded_by_the_recheck(db):
    """An insert the server applied long after its client stamped it (a stalled write)."""
    from datetime import timedelta

    from survey_core.folding.batch import fold_all
    from survey_core.folding.reads import RECHECK

    survey_of = survey_lookup(db)
    submit(db, meta(1), {"csat": 5})
    fold(db)
    late = events.event(events.Kind.SUBMIT, meta(2), answers={"csat": 1}, qtypes={"csat": "csat"})
    stamped = db.fold_state.find_one()["upto"] - timedelta(seconds=30)
    db.events.insert_one({**late, "at": stamped})
    assert fold(db) == 0  # behind the watermark: the prompt pass does not see it
    assert fold_all(db, survey_of, lag_s=0, watermark=RECHECK) == 2  # both, once more
    total = db.rollups.find_one({"_id": "2026-10|all|*"})
    assert total["csat"] == {"5": 1, "1": 1} and total["funnel"]["complete"] == 2
    before = list(db.responses.find())
    assert fold_all(db, survey_of, lag_s=0, watermark=RECHECK) == 0
    assert list(db.responses.find()) == before
    assert rebuild(db, repair=False)["drift"] == []


def test_three_running_workers_share_one_lease_and_count_once(db, config):
    """Three `surveyctl worker` loops at once: one folds (the lease), the count is exact."""
    import time

    from ops.worker import run
    from survey_core.folding.lease import hold_lease
    from survey_core.settings import WorkerSettings

    for i in range(120):
        submit(db, meta(i), {"csat": 1 + i % 5})
    settings = WorkerSettings.from_env(
        {k: str(v) for k, v in config.items()}
        | {"FOLD_LAG_SECONDS": "0", "FOLD_BATCH": "25", "WORKER_INTERVAL_SECONDS": "0.05"}
    )
    stop = threading.Event()
    workers = [threading.Thread(target=run, args=(settings, stop)) for _ in range(3)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and db.responses.count_documents({}) < 120:
        time.sleep(0.1)
    stop.set()
    for worker in workers:
        worker.join()
    total = db.rollups.find_one({"_id": "2026-10|all|*"})
    assert sum(total["csat"].values()) == 120 and total["funnel"]["complete"] == 120
    assert rebuild(db, repair=False)["drift"] == []
    holder = db.locks.find_one({"_id": "fold"})["owner"]
    assert not hold_lease(db, "someone-else", 10)  # still held by the one that folded
    assert hold_lease(db, holder, 10)


def test_the_worker_keeps_the_live_list_and_callers_beside_the_records(db):
    call = meta(9, channel="ivr") | {"survey": "post-call", "caller_hash": "h" * 64}
    opened(db, call)
    fold(db)
    assert [d["_id"] for d in db.live.find()] == ["ivr:R9"]
    assert db.callers.find_one({"_id": "h" * 64})["interaction_id"] == "R9"
    closed(db, call)
    fold(db)
    assert list(db.live.find()) == []
    # Nothing else to maintain on every insert: the one other index is sparse (training only).
    assert list(db.responses.index_information()) == ["_id_", "session_id"]


def test_folding_leaves_the_record_it_started_from_unchanged():
    """A re-fold compares the new record with the stored one: it must not alter the latter."""
    from survey_core.responses import record

    call = meta(5, channel="ivr")
    first = events.event(events.Kind.TRANSCRIPT, call, "comment", text="great agent")
    second = events.event(events.Kind.TRANSCRIPT, call, "other", text="thanks")
    before = record.fold(record.blank("ivr:R5"), [first])
    after = record.fold(before, [second, events.event(events.Kind.SKIP, call, "csat", reached=1)])
    assert before["transcripts"] == {"comment": "great agent"} and before["skipped"] == []
    assert after["transcripts"] == {"comment": "great agent", "other": "thanks"}
    assert after != before


def test_a_close_event_names_its_cause_end_reason_and_old_ones_still_fold(db):
    from survey_core.responses import record

    call = meta(7)
    close = events.event(events.Kind.CLOSE, call, end_reason="busy")
    assert close["end_reason"] == "busy" and "reason" not in close
    assert record.fold(record.blank("ivr:R7"), [close])["closed"] == "busy"
    stored_before = {k: v for k, v in close.items() if k != "end_reason"} | {"reason": "failed"}
    assert record.fold(record.blank("ivr:R7"), [stored_before])["closed"] == "failed"
