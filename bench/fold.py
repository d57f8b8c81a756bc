"""Benchmark: events folded per second by one folding worker, and by three at once.

For each scenario a fresh database (on one SecantusDB server) gets `--events` IVR-like events
inserted beforehand (per call: open, three answers, close; built with `events.event`, stored
as `events.insert` stores them, in bulk), then worker processes fold them with
`folding.batch.fold_batch` (lag 0, batches of `--batch`, as `fold_all` does), exactly as
`surveyctl worker` would. One worker, then three processes on the same database.

Prints events/s for one worker (and its rate over the first and the last 10 s, with their
ratio), events/s for three workers and the ratio three/one, and for each scenario checks the
month's rollup 'all' document against the answers generated: each answer counted exactly once
(OK or MISMATCH with the differences), every event folded, no batch counted by two workers.
A fold_batch call that raises (e.g. WriteConflict once its 30 s transaction budget is spent)
is retried a second later, as `surveyctl worker` does; the failed rounds and the time they
cost are printed (with --tracebacks, the first one's traceback).

Usage:
    .venv/bin/python bench/fold.py                    # 60,000 events (12,000 calls)
    .venv/bin/python bench/fold.py --events 10000     # quick check
Options: --events N (a multiple of 5), --batch 2000 (FOLD_BATCH), --workers 3, --tracebacks.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from _driver import arguments, parse, start_db, stop, windows  # noqa: E402

MONTH = "2026-03"
STARTED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC).timestamp()
EVENTS_PER_CALL = 5
RETRY_AFTER_S = 1.0  # WORKER_INTERVAL_SECONDS: a worker's round that failed waits this long


def build_events(calls: int, version: int, seed: int) -> tuple[list[dict], dict[str, int]]:
    """The events of `calls` IVR calls, and the counters the month's 'all' rollup must hold."""
    from survey_core.responses.events import Kind, event

    rng = random.Random(seed)
    evs: list[dict] = []
    expected: dict[str, int] = {}

    def count(name: str) -> None:
        expected[name] = expected.get(name, 0) + 1

    for i in range(calls):
        agent = rng.randrange(60)
        meta = {
            "channel": "ivr",
            "interaction_id": f"CAfold{seed:02d}{i:08d}",
            "survey": "post-call",
            "version": version,
            "agent_id": f"A{agent:02d}",
            "team": f"T{agent % 6}",
            "reason": f"R{rng.randrange(8)}",
            "language": "en-US",
            "month": MONTH,
            "started_at": STARTED + i,
        }
        evs.append(event(Kind.OPEN, meta, status="in_progress"))
        answers = {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10), "ces": rng.randint(1, 5)}
        for reached, (key, value) in enumerate(answers.items(), start=1):
            evs.append(
                event(Kind.ANSWER, meta, key, qtype=key, value=value, reached=reached, done=False)
            )
            count(f"{key}.{value}")
        evs.append(event(Kind.CLOSE, meta, end_reason="completed"))
        # The comment (the 4th question) is optional: three answers and a hang-up complete it.
        for name in ("funnel.offered", "funnel.started", "funnel.complete"):
            count(name)
    return evs, expected


def load(uri: str, name: str, calls: int, seed: int) -> dict[str, int]:
    """A fresh database `name` with the default surveys and the events of `calls` calls."""
    from ops.database import init_database
    from survey_core.responses import events
    from survey_core.storage.client import get_client
    from survey_core.surveys.definitions import get_survey

    db = get_client(uri, 60_000)[name]
    init_database(db)
    version = get_survey(db, "post-call")["version"]
    evs, expected = build_events(calls, version, seed)
    started = time.perf_counter()
    chunk = 1000
    for i in range(0, len(evs), chunk):
        # What events.insert stores (an `at` of now), a thousand at a time.
        db.events.insert_many([events._stored_form(ev) for ev in evs[i : i + chunk]])
    elapsed = time.perf_counter() - started
    print(f"[bench] {name}: inserted {len(evs)} events in {elapsed:.1f} s", flush=True)
    return expected


def fold_worker(uri: str, name: str, batch: int, ready, go, start, out) -> None:
    """Fold until nothing is left (fold_all's loop, timed per batch), from the signal `go`,
    holding the folding lease before each batch as `surveyctl worker` does."""
    try:
        import os

        from ops.worker import survey_lookup
        from survey_core.folding.batch import WatermarkMoved, fold_batch
        from survey_core.folding.lease import hold_lease
        from survey_core.storage.client import get_client

        db = get_client(uri, 60_000)[name]
        owner = f"bench-{os.getpid()}"
        last_at = db.events.find_one(sort=[("at", -1)])["at"]
        survey_of = survey_lookup(db)
        batches: list[tuple[float, int]] = []
        moved = 0
        db.command("ping")
        ready.put(True)
        go.wait()
        time.sleep(max(0.0, start.value - time.monotonic()))
        failures: list[tuple[float, str]] = []  # (seconds lost, traceback)
        while True:
            began = time.monotonic()
            if not hold_lease(db, owner, 10.0):  # another worker folds; stand by
                upto = db.fold_state.find_one({"_id": "events"}).get("upto")
                if upto and upto > last_at:
                    break
                time.sleep(0.05)
                continue
            try:
                done = fold_batch(db, survey_of, lag_s=0.0, limit=batch)
            except WatermarkMoved:
                moved += 1
                continue
            except Exception:  # noqa: BLE001 - as `surveyctl worker`: defer the round
                failures.append((time.monotonic() - began, traceback.format_exc()))
                time.sleep(RETRY_AFTER_S)
                continue
            if done == 0:
                break
            batches.append((time.monotonic(), done))
        out.put((batches, moved, failures, None))
    except Exception:  # noqa: BLE001 - reported by the parent
        out.put(([], 0, [], traceback.format_exc()))


def run_workers(uri: str, name: str, workers: int, batch: int) -> dict:
    ctx = mp.get_context("spawn")  # each worker makes its own MongoClient
    out, ready, go, start = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = [
        ctx.Process(target=fold_worker, args=(uri, name, batch, ready, go, start, out))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for _ in procs:  # every worker imported and connected: they start together
        ready.get(timeout=120)
    start_at = start.value = time.monotonic() + 0.2
    go.set()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [err for *_, err in results if err]
    if errors:
        raise RuntimeError("a worker failed:\n" + errors[0])
    batches = sorted(b for r in results for b in r[0])
    end = batches[-1][0] if batches else start_at
    rates = windows([t for t, _ in batches], start_at, end, [n for _, n in batches])
    return {
        "folded": sum(n for _, n in batches),
        **rates,
        "rate": rates["rate"] if rates["seconds"] else float("nan"),
        "batches": len(batches),
        "per_worker": [sum(n for _, n in r[0]) for r in results],
        "moved": sum(r[1] for r in results),
        "failures": [f for r in results for f in r[2]],
    }


def verify(uri: str, name: str, expected: dict[str, int], events: int) -> tuple[bool, str]:
    from survey_core.folding.reads import STATE_ID
    from survey_core.rollups import layout
    from survey_core.storage.client import get_client

    db = get_client(uri, 60_000)[name]
    doc = db.rollups.find_one({"_id": layout.rollup_id(MONTH, *layout.ALL)}) or {}
    found = layout.counters_of(doc)
    diffs = {
        k: (found.get(k, 0), expected.get(k, 0))
        for k in sorted(set(found) | set(expected))
        if found.get(k, 0) != expected.get(k, 0)
    }
    state = db.fold_state.find_one({"_id": STATE_ID}) or {}
    unfolded = db.events.count_documents({"at": {"$gte": state.get("upto")}})
    records = db.responses.count_documents({})
    answers = sum(v for k, v in found.items() if not k.startswith("funnel."))
    ok = not diffs and unfolded == 0
    text = (
        f"rollup {MONTH}|all: {answers} answers counted for {expected['funnel.offered'] * 3} "
        f"given, {found.get('funnel.complete', 0)} complete of {expected['funnel.offered']} "
        f"calls; {records} response records; {unfolded} of {events} events past the watermark"
    )
    if diffs:
        text += "\n    differences (rollup, expected): " + ", ".join(
            f"{k} {a}!={b}" for k, (a, b) in list(diffs.items())[:20]
        )
    return ok, text


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=2000, help="events per batch (FOLD_BATCH)")
    parser.add_argument("--workers", type=int, default=3, help="the concurrent scenario")
    parser.add_argument(
        "--tracebacks", action="store_true", help="print the first failed round's traceback"
    )
    args = parse(parser)
    calls = args.events // EVENTS_PER_CALL

    db_proc, uri = start_db()
    results, checks = {}, {}
    try:
        for seed, workers in enumerate((1, args.workers)):
            name = f"fold_{workers}"
            expected = load(uri, name, calls, seed)
            print(f"[bench] {name}: folding with {workers} worker process(es)...", flush=True)
            results[workers] = run_workers(uri, name, workers, args.batch)
            checks[workers] = verify(uri, name, expected, calls * EVENTS_PER_CALL)
            r = results[workers]
            print(f"[bench] {name}: {r['folded']} events in {r['seconds']:.1f} s", flush=True)
    finally:
        stop(db_proc)

    one, many = results[1], results[args.workers]
    print()
    print(
        f"=== folding {calls * EVENTS_PER_CALL} events ({calls} IVR calls), batch {args.batch} ==="
    )
    print(
        f"1 worker : {one['rate']:8.1f} events/s ({one['folded']} in {one['seconds']:.1f} s, "
        f"{one['batches']} batches) | first {one['window']:.0f} s {one['first']:.1f}/s, "
        f"last {one['window']:.0f} s {one['last']:.1f}/s, last/first "
        f"{one['sustained']:.2f}"
    )
    print(
        f"{args.workers} workers: {many['rate']:8.1f} events/s ({many['folded']} in "
        f"{many['seconds']:.1f} s, {many['batches']} batches; per worker {many['per_worker']}, "
        f"{many['moved']} WatermarkMoved retries)"
    )
    print(f"RATIO {args.workers} workers / 1 worker: {many['rate'] / one['rate']:.2f}")
    for workers, r in results.items():
        if r["failures"]:
            lost = sum(t for t, _ in r["failures"])
            last = r["failures"][0][1].strip().splitlines()[-1]
            print(
                f"FAILED ROUNDS with {workers} worker(s): {len(r['failures'])} fold_batch calls "
                f"raised (retried after {RETRY_AFTER_S:.0f} s, as surveyctl worker does), "
                f"{lost:.1f} s lost; first: {last[:300]}"
            )
            if args.tracebacks:
                print(r["failures"][0][1])
    for workers, (ok, text) in checks.items():
        double = results[workers]["folded"] != calls * EVENTS_PER_CALL
        status = "OK" if ok and not double else "MISMATCH"
        print(f"check {workers} worker(s): {status}: {text}")
        if double:
            print(
                f"    batches reported {results[workers]['folded']} events folded, "
                f"{calls * EVENTS_PER_CALL} inserted"
            )


if __name__ == "__main__":
    main()
