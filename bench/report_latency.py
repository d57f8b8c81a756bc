"""Benchmark: report latency at 1k vs 100k stored responses; import vs webhook replay rate.

Prints the latency ratio 100k/1k for the monthly and breakdown reports (target <= 1.5) and the
import rate against replaying the same rows as IVR calls (target >= 20x).
Usage: python bench/report_latency.py [--large 100000] [--small 1000] [--replay 200]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import start_db, stop  # noqa: E402

HEADER = "interaction_id,datetime,channel,agent,team,reason,csat,nps,ces\n"


def make_csv(rows: int, seed: int) -> str:
    rng = random.Random(seed)
    start = datetime(2025, 11, 1, tzinfo=UTC)
    out = io.StringIO()
    out.write(HEADER)
    for i in range(rows):
        # Months and agents cycle, so every month has all 60 agents at 1k rows as at 100k:
        # the breakdown then returns the same rows and only the volume differs.
        moment = start + timedelta(days=30.4 * (i % 12) + rng.uniform(0.5, 28))
        agent = (i // 12) % 60
        out.write(
            f"H{seed}-{i},{moment.isoformat()},{rng.choice(['ivr', 'web', 'chat'])},"
            f"A{agent:02d},T{agent % 6},R{rng.randrange(8)},{rng.randint(1, 5)},"
            f"{rng.randint(0, 10)},{rng.randint(1, 5)}\n"
        )
    return out.getvalue()


def timed(fn, repeat: int) -> float:
    """Median seconds of `repeat` calls after one warm-up."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--replay", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import aggregator
    import ivr_survey
    from survey_core.web.auth import create_key
    from ops.importer import import_rows
    from survey_core.storage.indexes import ensure_indexes
    from survey_core.storage.client import get_client
    from survey_core.settings import Settings

    db_proc, uri = start_db()
    try:
        client = get_client(uri, 60_000)
        tz = Settings.from_env({"VOC_ENV": "development"}).tz
        latencies = {}
        import_rate = None
        for label, rows in (("small", args.small), ("large", args.large)):
            db = client[f"bench_{label}"]
            ensure_indexes(db)
            text = make_csv(rows, seed=rows)
            print(f"[bench] importing {rows} responses...", flush=True)
            started = time.perf_counter()
            summary = import_rows(db, io.StringIO(text), tz)
            elapsed = time.perf_counter() - started
            assert summary.loaded == rows, summary
            if label == "large":
                import_rate = rows / elapsed
            key, _ = create_key(db, "bench", "read")
            app = aggregator.create_app(
                {"VOC_ENV": "test", "MONGO_URI": uri, "MONGO_DB": db.name, "LOG_LEVEL": "WARNING"}
            )
            http = app.test_client()
            headers = {"Authorization": f"Bearer {key}"}

            def monthly(http=http, headers=headers):
                r = http.get("/api/v1/metrics/monthly?from=2025-11&to=2026-10", headers=headers)
                assert r.status_code == 200

            def breakdown(http=http, headers=headers):
                r = http.get("/api/v1/metrics/breakdown?month=2026-05&by=agent", headers=headers)
                assert r.status_code == 200 and r.get_json()["rows"]

            latencies[label] = (timed(monthly, args.repeat), timed(breakdown, args.repeat))

        print(f"[bench] replaying {args.replay} rows as IVR calls...", flush=True)
        from ivr_survey.calls import breaker
        from tests.ivr_survey.twilio_sim import Call

        breaker.reset()
        replay_db = client["bench_replay"]
        ensure_indexes(replay_db)
        ivr = ivr_survey.create_app(
            {
                "VOC_ENV": "test",
                "MONGO_URI": uri,
                "MONGO_DB": replay_db.name,
                "LOG_LEVEL": "WARNING",
                "PUBLIC_BASE_URL": "https://voc.example.com",
                "TWILIO_AUTH_TOKEN": "test-auth-token",
                "SPOOL_DIR": "/tmp/bench-spool",
            }
        ).test_client()
        rng = random.Random(1)
        started = time.perf_counter()
        for i in range(args.replay):
            c = Call(
                ivr,
                sid=f"CA{i:06d}",
                caller=f"+86137{i:08d}",
                query=f"agent=A{rng.randrange(60):02d}&reason=R{rng.randrange(8)}",
            )
            c.start()
            c.press(str(rng.randint(1, 5)))
            c.press(str(rng.randint(0, 10)))
            c.press(str(rng.randint(1, 5)))
            c.hang_up()
        replay_rate = args.replay / (time.perf_counter() - started)
    finally:
        stop(db_proc)

    (m_small, b_small), (m_large, b_large) = latencies["small"], latencies["large"]
    print(
        f"monthly report (12 months): {args.small:>7} responses {m_small * 1000:7.2f} ms   "
        f"{args.large:>7} responses {m_large * 1000:7.2f} ms   ratio {m_large / m_small:.2f} "
        f"(target <= 1.5)"
    )
    print(
        f"breakdown by agent (60)   : {args.small:>7} responses {b_small * 1000:7.2f} ms   "
        f"{args.large:>7} responses {b_large * 1000:7.2f} ms   ratio {b_large / b_small:.2f} "
        f"(target <= 1.5)"
    )
    print(
        f"import: {import_rate:.0f} rows/s; webhook replay: {replay_rate:.1f} rows/s; "
        f"ratio {import_rate / replay_rate:.1f}x (target >= 20x)"
    )


if __name__ == "__main__":
    main()
