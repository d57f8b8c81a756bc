"""Benchmark: report latency at 1,000,000 stored responses vs 1,000, unfolded events included.

Two databases on one SecantusDB server are loaded with the importer (`ops.importer.
import_rows`, batches of 50,000, progress printed: 1M rows take several minutes): `--small`
and `--large` responses from 12 months x 60 agents. Then each gets the same 1,000 events,
stored one by one with `events.insert` (250 web submits, and 250 IVR calls' three answers),
and no folding worker runs: the reports fold them in memory every time. The script checks
that they are past the watermark and that the monthly report counts them.

Prints the median latency (`--repeat` calls after a warm-up) of the monthly report (12
months, no filter: `queries.monthly`) and of the breakdown by agent (one month, 60 agents:
`queries.breakdown`), for each size, and the ratio large/small (target <= 1.3).

Usage:
    .venv/bin/python bench/report_latency.py                   # 1,000 vs 1,000,000 responses
    .venv/bin/python bench/report_latency.py --large 100000    # quick check
Options: --small 1000, --large 1000000, --events 1000, --repeat 30, --batch 50000.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.ivr_survey.twilio_sim

from _driver import arguments, parse, start_db, stop  # noqa: E402
from _past_responses import MONTHS, csv_lines  # noqa: E402

BREAKDOWN_MONTH = "2026-05"


def load(db, rows: int, batch: int, tz) -> float:
    """Import `rows` responses; returns rows per second."""
    from ops.importer import import_rows

    started = time.perf_counter()
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if rows >= batch:
            elapsed = time.perf_counter() - started
            eta = elapsed / done * (rows - done)
            print(
                f"[bench]   {db.name}: {done:>9}/{rows} rows ({done / elapsed:,.0f} rows/s, "
                f"{elapsed:.0f} s, about {eta:.0f} s to go)",
                flush=True,
            )

    summary = import_rows(db, csv_lines(rows, seed=7), tz, batch=batch, progress=progress)
    if summary.loaded != rows:
        raise RuntimeError(f"imported {summary.loaded} of {rows}: {summary}")
    return rows / (time.perf_counter() - started)


def add_events(db, count: int) -> int:
    """`count` events (half web submits, half IVR answers), stored with events.insert; the
    number of responses they complete."""
    from ivr_survey.default_survey import DEFAULT_IVR_SURVEY
    from survey_core.responses import events
    from survey_core.responses.events import Kind
    from survey_core.surveys.definitions import get_survey
    from web_survey.default_survey import DEFAULT_WEB_SURVEY

    rng = random.Random(11)
    ivr = get_survey(db, DEFAULT_IVR_SURVEY)["version"]
    web = get_survey(db, DEFAULT_WEB_SURVEY)["version"]
    qtypes = {"csat": "csat", "nps": "nps", "ces": "ces"}
    outcomes: dict[str, int] = {}
    completed = 0

    def meta(channel: str, i: int, survey: str, version: int) -> dict:
        month = MONTHS[i % 12]
        agent = rng.randrange(60)
        return {
            "channel": channel,
            "interaction_id": f"UNFOLDED-{channel}-{i}",
            "survey": survey,
            "version": version,
            "month": month,
            "started_at": datetime.fromisoformat(f"{month}-15T10:00:00+00:00").timestamp(),
            "agent_id": f"A{agent:02d}",
            "team": f"T{agent % 6}",
            "reason": f"R{rng.randrange(8)}",
            "language": "en-US",
        }

    evs = []
    calls = count * 3 // 4 // 3  # 3/4 of the events are IVR answers, the rest web submits
    for i in range(count - 3 * calls):  # a web questionnaire submitted at once: one event
        answers = {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10), "ces": rng.randint(1, 5)}
        m = meta("web", i, DEFAULT_WEB_SURVEY, web)
        evs.append(events.event(Kind.SUBMIT, m, answers=answers, qtypes=qtypes))
        completed += 1
    for i in range(calls):  # an IVR call answering three questions: three events
        m = meta("ivr", i, DEFAULT_IVR_SURVEY, ivr)
        for reached, key in enumerate(("csat", "nps", "ces"), start=1):
            value = rng.randint(0, 10) if key == "nps" else rng.randint(1, 5)
            done = reached == 3  # the survey is over with the third answer
            evs.append(
                events.event(
                    Kind.ANSWER, m, key, qtype=key, value=value, reached=reached, done=done
                )
            )
        completed += 1
    for ev in evs:
        outcome = events.insert(db, ev)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes != {"stored": len(evs)}:
        raise RuntimeError(f"events.insert outcomes: {outcomes}")
    return completed


def timed(fn, repeat: int, warm_up_s: float = 5.0) -> float:
    """Median seconds of `repeat` calls after `warm_up_s` seconds of calls: right after a large
    import the database is still writing its cache out, and the first reports pay for it."""
    until = time.monotonic() + warm_up_s
    while time.monotonic() < until:
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000, help="unfolded events per size")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--warm-up", type=float, default=30.0, help="seconds of reports before timing each"
    )
    parser.add_argument("--batch", type=int, default=50_000, help="importer batch")
    parser.add_argument(
        "--replay", type=int, default=500, help="rows replayed as IVR calls (0: skip)"
    )
    args = parse(parser)

    from ops.database import init_database
    from ops.worker import survey_lookup
    from survey_core.folding.reads import pending
    from survey_core.reports import queries
    from survey_core.reports.snapshot import Snapshot
    from survey_core.settings import Settings
    from survey_core.storage.client import get_client

    tz = Settings.from_env({"VOC_ENV": "development"}).tz
    db_proc, uri = start_db()
    results: dict[str, tuple[float, float]] = {}
    import_rate = None
    try:
        client = get_client(uri, 120_000)
        for label, rows in (("small", args.small), ("large", args.large)):
            db = client[f"bench_{label}"]
            init_database(db)
            print(f"[bench] {label}: importing {rows} responses...", flush=True)
            rate = load(db, rows, args.batch, tz)
            if label == "large":
                import_rate = rate
            completed = add_events(db, args.events)
            _, unfolded = pending(db)  # no worker ran: every event is past the watermark
            if len(unfolded) != args.events:
                raise RuntimeError(f"{len(unfolded)} events unfolded, {args.events} inserted")
            survey_of = survey_lookup(db)

            def monthly(db=db, survey_of=survey_of):
                return queries.monthly(Snapshot(db, survey_of), MONTHS, {}, "adjusted")

            def breakdown(db=db, survey_of=survey_of):
                snap = Snapshot(db, survey_of)
                return queries.breakdown(snap, BREAKDOWN_MONTH, "agent", 1, "adjusted")

            counted = sum(row["responses"] for row in monthly())
            if counted != rows + completed:
                raise RuntimeError(
                    f"monthly report counts {counted} responses, expected {rows} imported + "
                    f"{completed} from unfolded events"
                )
            agents = len(breakdown())
            print(
                f"[bench] {label}: {len(unfolded)} unfolded events; monthly counts {counted} "
                f"responses ({rows} + {completed} unfolded); breakdown {agents} agents; "
                f"timing {args.repeat} x 2 reports...",
                flush=True,
            )
            results[label] = (
                timed(monthly, args.repeat, args.warm_up),
                timed(breakdown, args.repeat, args.warm_up),
            )
        replay_rate = replay(client["bench_replay"], uri, args.replay) if args.replay else None
    finally:
        stop(db_proc)

    (m_small, b_small), (m_large, b_large) = results["small"], results["large"]
    print()
    print(
        f"=== report latency, median of {args.repeat}, each with {args.events} unfolded events "
        f"folded in memory ==="
    )
    for name, small, large in (
        ("monthly report (12 months)", m_small, m_large),
        (f"breakdown by agent ({BREAKDOWN_MONTH})", b_small, b_large),
    ):
        ratio = large / small
        print(
            f"{name:<30}: {args.small:>7} responses {small * 1000:7.2f} ms | {args.large:>7} "
            f"responses {large * 1000:7.2f} ms | RATIO large/small {ratio:.2f} (target <= 1.3: "
            f"{'ok' if ratio <= 1.3 else 'MISSED'})"
        )
    print(f"import of {args.large} rows: {import_rate:,.0f} rows/s (batch {args.batch})")
    if replay_rate:
        print(
            f"the same rows replayed as IVR calls (webhooks + folding): {replay_rate:,.1f} rows/s "
            f"| RATIO import/replay {import_rate / replay_rate:.1f}x (target >= 20x: "
            f"{'ok' if import_rate / replay_rate >= 20 else 'MISSED'})"
        )


def replay(db, uri: str, rows: int) -> float:
    """Rows per second when each row is played as a whole IVR call (voice, three answers, the
    status callback; signed as Twilio signs) and then folded by the worker's code."""
    import ivr_survey
    from ops.database import init_database
    from ops.worker import survey_lookup
    from survey_core.folding.batch import fold_all
    from tests.ivr_survey.twilio_sim import Call

    init_database(db)
    app = ivr_survey.create_app(
        {
            "VOC_ENV": "test",
            "MONGO_URI": uri,
            "MONGO_DB": db.name,
            "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": "https://voc.example.com",
            "TWILIO_AUTH_TOKEN": "test-auth-token",
            "SPOOL_DIR": "/tmp/bench-replay-spool",
        }
    ).test_client()
    print(f"[bench] replaying {rows} rows as IVR calls...", flush=True)
    rng = random.Random(1)
    started = time.perf_counter()
    for i in range(rows):
        query = f"agent=A{rng.randrange(60):02d}&reason=R{rng.randrange(8)}"
        call = Call(app, sid=f"CA{i:06d}", caller=f"+86137{i:08d}", query=query)
        call.start()
        for digits in (rng.randint(1, 5), rng.randint(0, 10), rng.randint(1, 5)):
            call.press(str(digits))
        call.hang_up()
    fold_all(db, survey_lookup(db), lag_s=0)
    return rows / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
