"""Where a complaint's time goes: `POST /api/v1/complaints` in-process (Flask's test client)
against a SecantusDB server on loopback, each database command timed by a pymongo
CommandListener; the same before and after `--history` complaints are loaded.

Prints per phase the request's p50 and mean, its CPU time (this process: Flask, marshmallow,
pymongo) and, per command and collection, how many a request sends and their median time;
then one `insert_one` (the minimal handler's only command) for comparison.

Usage:
    .venv/bin/python bench/complaint_steps.py [--requests 1000] [--history 100000]
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from _driver import arguments, parse, say, start_db, stop  # noqa: E402
from complaints import complaint, load_history  # noqa: E402
from pymongo import monitoring  # noqa: E402


class Timings(monitoring.CommandListener):
    """Each command's duration by name and collection, while `on` is set."""

    def __init__(self) -> None:
        self.on, self.names, self.times = False, {}, defaultdict(list)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        name = f"{event.command_name} {target if isinstance(target, str) else ''}"
        self.names[event.request_id] = name

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        name = self.names.pop(event.request_id, event.command_name)
        if self.on:
            self.times[name].append(event.duration_micros / 1000)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.names.pop(event.request_id, None)


def phase(name: str, client, headers: dict, body_of, timings: Timings, n: int) -> None:
    for i in range(200):  # warm-up
        client.post("/api/v1/complaints", json=body_of(-i - 1), headers=headers)
    timings.times.clear()
    timings.on, lats, cpu = True, [], time.process_time()
    for i in range(n):
        started = time.perf_counter()
        answer = client.post("/api/v1/complaints", json=body_of(i), headers=headers)
        lats.append(time.perf_counter() - started)
        if answer.status_code != 201:
            raise SystemExit(f"{answer.status_code} {answer.get_data()[:300]!r}")
    cpu, timings.on = time.process_time() - cpu, False
    print(
        f"{name}: p50 {1000 * statistics.median(lats):.2f} ms, mean "
        f"{1000 * statistics.mean(lats):.2f} ms, CPU {1000 * cpu / n:.2f} ms a request"
    )
    for command, times in sorted(timings.times.items()):
        print(
            f"  {command:28s} {len(times) / n:5.2f} a request, "
            f"median {statistics.median(times):.3f} ms"
        )


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--history", type=int, default=100_000)
    args = parse(parser)
    timings = Timings()
    monitoring.register(timings)  # before any client is made
    storage = tempfile.mkdtemp(prefix="bench-steps-")
    db_proc, uri = start_db(storage)
    try:
        import aggregator
        from ops.database import init_database
        from survey_core.storage.client import get_client
        from survey_core.web.auth import create_key

        db = get_client(uri, 30_000)["bench"]
        init_database(db)
        key, _ = create_key(db, "bench", "write")
        settings = {"MONGO_URI": uri, "MONGO_DB": "bench", "VOC_ENV": "development"}
        client = aggregator.create_app({**settings, "LOG_LEVEL": "WARNING"}).test_client()
        headers = {"Authorization": f"Bearer {key}"}
        rng = random.Random(1)
        phase("empty", client, headers, complaint("a", rng), timings, args.requests)
        say(f"loading {args.history:,} complaints of history...")
        load_history(db, args.history)
        db.client.admin.command("fsync")
        phase(
            f"{args.history:,} stored", client, headers, complaint("b", rng), timings, args.requests
        )
        timings.times.clear()
        timings.on = True
        for i in range(args.requests):
            db.minimal.insert_one({"i": i})
        inserts = timings.times["insert minimal"]
        print(f"one insert_one (the minimal handler's): median {statistics.median(inserts):.3f} ms")
    finally:
        stop(db_proc)
        shutil.rmtree(storage, ignore_errors=True)


if __name__ == "__main__":
    main()
