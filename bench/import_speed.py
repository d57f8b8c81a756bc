"""Benchmark: `surveyctl import` speed, first import vs re-import of the same file.

A SecantusDB server of its own gets `--rows` past responses (12 months x 60 agents) through
`ops.importer.import_rows` (batches of `--batch`, the CLI's 50,000 by default); then the same
rows are imported again, which must load nothing (every row is already present) and must not
be slower than the first run. Prints, for each run, the rows/s of every batch as it completes,
over the whole run and, when the run is long enough, over its first and its last 10 s (at
least: windows end on batch boundaries, so with 50,000-row batches they are longer), then the
ratio re-import / first import (target >= 1.0).

Usage:
    .venv/bin/python bench/import_speed.py                  # 200,000 rows
    .venv/bin/python bench/import_speed.py --rows 1000000
Options: --rows 200000, --batch 50000.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from _driver import WINDOW_S, arguments, parse, start_db, stop  # noqa: E402
from _past_responses import csv_lines  # noqa: E402

TARGET = 1.0


def batch_windows(samples: list[tuple[float, int]], total_s: float) -> str:
    """Rates over the first and the last WINDOW_S seconds, from (seconds, rows done) samples
    taken as batches complete; empty when the run is shorter than two windows."""
    if total_s < 2 * WINDOW_S or len(samples) < 3:
        return ""
    first = next((s for s in samples if s[0] >= WINDOW_S), samples[-1])
    before_last = [s for s in samples if s[0] <= total_s - WINDOW_S] or [(0.0, 0)]
    last_from = before_last[-1]
    end = samples[-1]
    first_rate = first[1] / first[0]
    last_rate = (end[1] - last_from[1]) / (end[0] - last_from[0])
    return (
        f"; first {first[0]:.0f} s: {first_rate:,.0f} rows/s, "
        f"last {end[0] - last_from[0]:.0f} s: {last_rate:,.0f} rows/s"
    )


def run(db, label: str, rows: int, batch: int, tz) -> tuple[float, object]:
    from ops.importer import import_rows

    samples: list[tuple[float, int]] = []
    done = 0
    started = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if n > 1:  # a batch written (1: a skipped row)
            elapsed = time.perf_counter() - started
            since, before = samples[-1] if samples else (0.0, 0)
            samples.append((elapsed, done))
            print(
                f"[bench]   {label}: {done:>9}/{rows} rows, {elapsed:6.1f} s, "
                f"{done / elapsed:,.0f} rows/s so far, "
                f"this batch {(done - before) / (elapsed - since):,.0f} rows/s",
                flush=True,
            )

    summary = import_rows(db, csv_lines(rows, seed=7), tz, batch=batch, progress=progress)
    elapsed = time.perf_counter() - started
    rate = rows / elapsed
    print(
        f"[bench] {label}: {rows} rows in {elapsed:.1f} s = {rate:,.0f} rows/s "
        f"(loaded {summary.loaded}, already present {summary.already_present})"
        f"{batch_windows(samples, elapsed)}",
        flush=True,
    )
    return rate, summary


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=50_000, help="importer batch")
    args = parse(parser)

    from ops.database import init_database
    from survey_core.settings import Settings
    from survey_core.storage.client import get_client

    tz = Settings.from_env({"VOC_ENV": "development"}).tz
    db_proc, uri = start_db()
    try:
        db = get_client(uri, 120_000)["bench_import"]
        init_database(db)
        first, summary = run(db, "first import", args.rows, args.batch, tz)
        if summary.loaded != args.rows:  # type: ignore[attr-defined]
            raise SystemExit(f"the first import loaded {summary.loaded} of {args.rows}")  # type: ignore[attr-defined]
        rollups = list(db.rollups.find({}, {"imports": 0}).sort("_id", 1))
        again, summary = run(db, "re-import", args.rows, args.batch, tz)
        if summary.loaded or summary.already_present != args.rows:  # type: ignore[attr-defined]
            raise SystemExit(f"the re-import was not a no-op: {summary}")
        if list(db.rollups.find({}, {"imports": 0}).sort("_id", 1)) != rollups:
            raise SystemExit("the re-import changed the rollups")
        ratio = again / first
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        print(
            f"[bench] re-import / first import = {again:,.0f} / {first:,.0f} rows/s = "
            f"{ratio:.2f} (target >= {TARGET:.1f}) {verdict}",
            flush=True,
        )
    finally:
        stop(db_proc)


if __name__ == "__main__":
    main()
