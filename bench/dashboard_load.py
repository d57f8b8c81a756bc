"""Benchmark: the quality manager's dashboard page load, and (--baseline) against another commit.

A SecantusDB server of its own gets demo-sized data through `surveyctl demo load` (`--responses`
customer responses over the last 75 days, five agents, folded, with their follow-ups and
complaints; four trainers' sessions and evaluations), then `--unfolded` more demo responses as
events the worker has not folded: every report folds them in memory. The aggregator runs
in-process (Flask's test client, one client), signed in to the dashboard with a read key; after
`--warmup` seconds it loads `GET /dashboard` and `GET /dashboard?month=<last month>` in turn for
`--seconds`, each load checked to be the signed-in page. Prints median and p90 ms per page,
loads/s over the run and over its first and last 10 s with their ratio.

With `--baseline GIT_REF` the same measurement also runs against that commit, checked out with
`git worktree add` into a temporary directory, on the same data (first the baseline, then this
tree; each in a subprocess whose imports point at its tree via PYTHONPATH), and prints the
ratios after/before: page time (median, p90) and loads/s (below 1.0 in time is faster).

Usage:
    .venv/bin/python bench/dashboard_load.py                        # ~1 min
    .venv/bin/python bench/dashboard_load.py --baseline main        # ~2 min
Options: --responses 4000, --unfolded 400, --seconds 20, --warmup 5, --baseline REF.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The tree whose code is measured: this one, or (in a measuring subprocess) the baseline's.
TREE = Path(os.environ.get("BENCH_TREE") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(TREE / "services"))

from _driver import (  # noqa: E402
    ROOT,
    arguments,
    for_seconds,
    parse,
    percentile,
    say,
    start_db,
    stop,
    windows,
)

DB_NAME = "bench_dashboard"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def env_for(uri: str, spool: str) -> dict[str, str]:
    return {
        "MONGO_URI": uri,
        "MONGO_DB": DB_NAME,
        "MONGO_RETRY_WRITES": "false",
        "VOC_ENV": "development",
        "SPOOL_DIR": spool,
        "LOG_LEVEL": "WARNING",
    }


# --- the measurement (in a subprocess, on the tree under test) -----------------------------


def measure(spec: dict) -> dict:
    """Sign in, warm up, then load the two pages in turn for spec["seconds"]."""
    import aggregator

    app = aggregator.create_app(spec["env"])
    client = app.test_client()
    page = client.get("/dashboard/sign-in?lang=en-US").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1), "key": spec["key"], "lang": "en-US"}
    if client.post("/dashboard/sign-in", data=form).status_code != 302:
        raise SystemExit("the read key could not sign in to the dashboard")
    paths = ["/dashboard", f"/dashboard?month={spec['month']}"]
    took: dict[str, list[float]] = {path: [] for path in paths}

    def load(i: int) -> float:
        path = paths[i % 2]
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or b"sign-out" not in response.data:
            raise SystemExit(f"GET {path}: {response.status_code} {response.data[:300]!r}")
        took[path].append(elapsed)
        return elapsed

    for_seconds(load, spec["warmup"])
    for path in paths:
        took[path].clear()
    run = for_seconds(load, spec["seconds"])
    return {
        "code": str(Path(aggregator.__file__).resolve().parents[1]),
        "pages": {
            path: {
                "n": len(lats),
                "median": percentile(lats, 0.5) * 1000,
                "p90": percentile(lats, 0.9) * 1000,
            }
            for path, lats in took.items()
        },
        "median": percentile(run["lats"], 0.5) * 1000,
        "p90": percentile(run["lats"], 0.9) * 1000,
        **windows(run["ends"], run["start"], run["end"]),
    }


def measure_tree(tree: Path, spec: dict) -> dict:
    """`measure` in a subprocess importing `tree`'s services."""
    env = dict(os.environ, BENCH_TREE=str(tree), PYTHONPATH=str(tree / "services"))
    done = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=spec["warmup"] + spec["seconds"] + 300,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- data, report, main --------------------------------------------------------------------


def load_data(uri: str, spool: str, responses: int, unfolded: int) -> tuple[str, str]:
    """Demo data with `unfolded` responses past the watermark; (a read key, last month)."""
    from datetime import UTC, datetime

    from ops.demo import load_demo
    from survey_core.folding.reads import pending
    from survey_core.months import month_of, months_ending
    from survey_core.settings import Settings
    from survey_core.storage.client import get_client
    from survey_core.web.auth import create_key

    env = dict(os.environ, **env_for(uri, spool), PYTHONPATH=str(ROOT / "services"))
    started = time.monotonic()
    command = [sys.executable, "-m", "ops.cli", "demo", "load", "--count", str(responses)]
    loaded = subprocess.run(command, env=env, capture_output=True, text=True)
    if loaded.returncode != 0:
        raise SystemExit(f"surveyctl demo load failed:\n{loaded.stderr[-3000:]}")
    db = get_client(uri, 60_000)[DB_NAME]
    settings = Settings.from_env(env_for(uri, spool))
    added = load_demo(db, settings.tz, responses + unfolded)
    _, past_watermark = pending(db)
    say(
        f"data: {responses} responses folded, {added} more unfolded "
        f"({len(past_watermark)} events past the watermark), "
        f"{db.training_sessions.count_documents({})} training sessions, "
        f"{db.follow_ups.count_documents({})} follow-ups ({time.monotonic() - started:.0f} s)"
    )
    key, _ = create_key(db, "bench-dashboard", "read")
    this_month = month_of(datetime.now(UTC), settings.tz)
    return key, months_ending(this_month, 2)[0]


def line(name: str, r: dict) -> str:
    pages = "; ".join(
        f"{path} median {p['median']:.1f} ms, p90 {p['p90']:.1f} ms ({p['n']})"
        for path, p in r["pages"].items()
    )
    return (
        f"  {name:<8} median {r['median']:7.1f} ms, p90 {r['p90']:7.1f} ms | "
        f"{r['rate']:6.2f} loads/s, first {r['window']:.0f} s {r['first']:6.2f}, last "
        f"{r['window']:.0f} s {r['last']:6.2f}, last/first {r['sustained']:.2f}\n"
        f"           {pages}"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(json.loads(sys.argv[2]))))
        return
    parser = arguments(__doc__)
    parser.add_argument("--responses", type=int, default=4000, help="folded demo responses")
    parser.add_argument("--unfolded", type=int, default=400, help="responses not folded yet")
    parser.add_argument("--seconds", type=float, default=20, help="timed seconds per tree")
    parser.add_argument("--warmup", type=float, default=5, help="untimed seconds before")
    parser.add_argument("--baseline", metavar="GIT_REF", help="also measure this commit")
    args = parse(parser)
    storage = tempfile.mkdtemp(prefix="bench-dashboard-")
    spool = tempfile.mkdtemp(prefix="bench-dashboard-spool-")
    checkout = None
    db_proc = None
    results: dict[str, dict] = {}
    try:
        if args.baseline:
            checkout = tempfile.mkdtemp(prefix="bench-baseline-")
            git = ["git", "-C", str(ROOT)]
            subprocess.run(
                [*git, "worktree", "add", "--detach", checkout, args.baseline],
                check=True,
                capture_output=True,
            )
        db_proc, uri = start_db(storage)
        key, month = load_data(uri, spool, args.responses, args.unfolded)
        spec = {
            "env": env_for(uri, spool),
            "key": key,
            "month": month,
            "seconds": args.seconds,
            "warmup": args.warmup,
        }
        trees = ([("before", Path(checkout))] if checkout else []) + [("after", ROOT)]
        for name, tree in trees:
            say(f"{name}: {tree}: {args.warmup:.0f} s warm-up, {args.seconds:.0f} s timed...")
            results[name] = measure_tree(tree, spec)
            say(f"{name}: measured the code in {results[name]['code']}")
            print(line(name, results[name]), flush=True)
    finally:
        if db_proc is not None:
            stop(db_proc)
        if checkout:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", checkout],
                capture_output=True,
            )
        for folder in (storage, spool, checkout):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)

    print()
    print(
        f"=== Dashboard load, aggregator in-process, 1 client, {args.responses} responses + "
        f"{args.unfolded} unfolded, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up ==="
    )
    for name, result in results.items():
        print(line(name, result))
    if "before" in results:
        before, after = results["before"], results["after"]
        print(
            f"  RATIO after/before ({args.baseline}): time median "
            f"{after['median'] / before['median']:.2f}, p90 {after['p90'] / before['p90']:.2f}; "
            f"loads/s {after['rate'] / before['rate']:.2f}"
        )


if __name__ == "__main__":
    main()
