"""Soak test: the whole stack under a realistic mix at a fixed rate for ten minutes.

Starts a fresh SecantusDB (temporary directory, free port), the four services under gunicorn
(deploy/gunicorn.conf.py: 2 workers x 4 threads each) and the folding worker, all on free
loopback ports (never 8001-8004 or 27017), then drives the mix of bench/loadmix.py (signed IVR
calls, web survey pages and widget submissions, training sessions and evaluations, complaints,
report reads) at `--rate` requests/s for `--minutes`. No request is retried: every answer
that is not 2xx/3xx (or an IVR apology instead of the next question), every refused or reset
connection and every timeout is an error.

Each minute it prints the requests completed in that minute per second, p50 and p99 latency,
the errors (by kind), and the RSS of every process: each gunicorn master and worker, the
folding worker and the database.

Pass criteria (printed at the end, and the exit status): zero errors, and no service process
(each gunicorn master and worker) nor the folding worker grew its RSS by more than 10% between
the end of minute 1 and the end of the run. The baseline is the end of minute 1, not the start:
by then every process has warmed up (lazy imports, compiled templates and translation catalogs,
survey caches, full connection pools), which is growth once, not growth with time; what grows
after it grows with the load. A gunicorn worker replaced during the run (a crash or a timeout)
fails the run too. Runs shorter than two minutes compare with the sample taken just before the
load started instead (said so). The database's RSS is printed with the size of its files but
not judged unless `--judge-db`: SecantusDB keeps what it stores in its WiredTiger cache (up to
1 GB) and its oplog (up to 100,000 entries), so it grows with the data by design (at 30
requests/s, +46% in minutes 1-3).

Usage:
    .venv/bin/python bench/soak.py                       # 10 minutes at 30 requests/s
    .venv/bin/python bench/soak.py --minutes 1 --rate 20 # a quick check
Options: --minutes N (10), --rate R (30 requests/s), --think S (1.0: mean pause between a
flow's requests), --keep (keep the temporary directory with the logs; kept anyway on a
failure), --seed N, --judge-db, --env NAME=VALUE (for every process, repeatable), --db-args
"..." (more SecantusDB options).

The rate limiter's counters are `memory://` by default (`RATE_LIMIT_STORAGE_URI`); when they
lived in MongoDB (the `rate_limit_*` collections) SecantusDB 0.7.0b3 stalled about six minutes
into this run, holding its storage lock for seconds at a time.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _driver import arguments, parse  # noqa: E402
from loadmix import Driver, Mix, Stack, Usage, backlog_line, rss_line, say  # noqa: E402

GROWTH_LIMIT = 0.10


def main() -> int:
    parser = arguments(__doc__)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=30.0, help="requests per second")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--db-args", default="", help="more SecantusDB options, quoted")
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for every process (repeatable)"
    )
    parser.add_argument(
        "--judge-db",
        action="store_true",
        help="hold the database process to the 10%% RSS limit too (its cache grows with the "
        "data it stores: it fails by design)",
    )
    args = parse(parser)
    if args.minutes < 1:
        parser.error("--minutes must be at least 1")

    extra_env = dict(pair.split("=", 1) for pair in args.env)
    stack = Stack(db_options=args.db_args.split(), extra_env=extra_env)
    failed = True
    try:
        stack.start()
        mix = Mix(stack, retry=False, think_s=args.think, seed=args.seed)
        driver = Driver(mix, args.rate)
        time.sleep(2)
        before = stack.rss()
        usage = Usage(stack)
        samples: dict[int, dict[str, int]] = {}
        data: dict[int, int] = {0: stack.data_size()}
        figures: dict[int, dict] = {}

        def on_minute(k: int, start: float, end: float) -> None:
            w = mix.stats.window(start, end)
            samples[k] = stack.rss()
            data[k] = stack.data_size()
            figures[k] = w
            kinds = ", ".join(f"{what} x{n}" for what, n in w["kinds"].most_common(4))
            say(
                f"minute {k:2d}: {w['rps']:5.1f} req/s ({w['requests']} requests), "
                f"p50 {w['p50']:6.1f} ms, p99 {w['p99']:7.1f} ms, errors {w['errors']}"
                + (f" ({kinds})" if kinds else "")
            )
            say(f"           {rss_line(samples[k], data[k])}")
            say(f"           {usage.line()}; {backlog_line(stack.backlog())}")

        say(
            f"driving {args.rate:.0f} requests/s for {args.minutes} min "
            f"({driver.flows_per_s:.2f} flows/s; think time {args.think:.1f} s)..."
        )
        driver.run(args.minutes * 60, on_minute)
        finished = driver.finish()
        failed = report(args, mix, driver, before, samples, data, figures, finished)
    finally:
        stack.stop()
        if args.keep or failed:
            say(f"logs kept in {stack.tmp / 'logs'}")
        else:
            shutil.rmtree(stack.tmp, ignore_errors=True)
    return 1 if failed else 0


def report(args, mix, driver, before, samples, data, figures, finished) -> bool:
    """Print the summary and the verdict; True when the run failed."""
    last = max(samples)
    if last >= 2:
        base, base_name, base_data = samples[1], "the end of minute 1", data[1]
    else:
        base, base_name = before, "just before the load (run shorter than 2 minutes)"
        base_data = data[0]
    end = samples[last]
    total_requests = len(mix.stats.ends)
    errors = len(mix.stats.errors)
    print()
    print(
        f"=== soak: {args.minutes} min at {args.rate:.0f} requests/s offered "
        f"(2 cores shared with the clients; other jobs may run on this machine) ==="
    )
    first, final = figures[1], figures[last]
    print(
        f"minute 1:  {first['rps']:.1f} req/s, p50 {first['p50']:.1f} ms, "
        f"p99 {first['p99']:.1f} ms, errors {first['errors']}"
    )
    if last > 1:
        print(
            f"minute {last}: {final['rps']:.1f} req/s, p50 {final['p50']:.1f} ms, "
            f"p99 {final['p99']:.1f} ms, errors {final['errors']}"
        )
    print(
        f"requests: {total_requests}, errors: {errors}; flows: "
        + ", ".join(f"{k} {v}" for k, v in sorted(mix.stats.flows_done.items()))
        + f"; peak flow backlog {driver.backlog_peak}"
        + ("" if finished else "; some flows were still running at the end")
    )
    print(
        "requests by kind: "
        + ", ".join(f"{k} {n}" for k, n in sorted(mix.stats.labels.items()))
        + f" (offered: {args.rate * args.minutes * 60:.0f})"
    )
    if errors:
        kinds = {}
        for _, what in mix.stats.errors:
            kinds[what] = kinds.get(what, 0) + 1
        print("errors by kind: " + ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())))
    print(f"RSS growth, {base_name} -> the end of minute {last}:")
    worst, replaced = 0.0, []
    for label, start in sorted(base.items()):
        now = end.get(label)
        if now is None:
            replaced.append(label)
            print(f"  {label:28s} {start / 2**20:7.1f} MB -> gone (replaced or exited)")
            continue
        growth = (now - start) / start
        judged = args.judge_db or not label.startswith("database")
        if judged:
            worst = max(worst, growth)
        flag = "" if growth <= GROWTH_LIMIT else "  OVER 10%"
        note = ""
        if not judged:
            note = (
                f"  (not judged: its data on disk grew {base_data / 2**20:.0f} -> "
                f"{data[last] / 2**20:.0f} MB; see --judge-db)"
            )
        print(
            f"  {label:28s} {start / 2**20:7.1f} -> {now / 2**20:7.1f} MB  {growth:+6.1%}"
            f"{flag}{note}"
        )
    for label in sorted(set(end) - set(base)):
        print(f"  {label:28s} new since the baseline: {end[label] / 2**20:.1f} MB")
    verdicts = [
        ("zero errors", errors == 0),
        (
            f"RSS growth <= 10% for every {'' if args.judge_db else 'service and worker '}"
            f"process (worst {worst:+.1%})",
            worst <= GROWTH_LIMIT,
        ),
        ("no process replaced", not replaced),
    ]
    print()
    for name, ok in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    failed = not all(ok for _, ok in verdicts)
    print(f"soak: {'FAILED' if failed else 'passed'}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
