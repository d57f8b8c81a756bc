"""Benchmark: full IVR survey calls under gunicorn vs a minimal one-insert Flask handler.

Both apps run under the same gunicorn settings (deploy/gunicorn.conf.py, 2 workers x 4
threads) against the same SecantusDB server on loopback, side by side in one run, first with 1
client process, then with 4. Our side plays whole calls, signed like Twilio: /ivr/voice, four
keypad answers (the last: yes to a recorded comment), the recording, the status callback (7
requests, each storing one event). The baseline stores every request with one `insert_one`.
Both use retryWrites=False (MONGO_RETRY_WRITES=false for ours; written into bench/minimal_app.py
for the baseline).

Each timed run lasts until its clients made `--writes` requests between them (default 50,000;
every request stores exactly one document, which the script checks by counting), at least
`--seconds` (20) and at most `--max-seconds` (150): past the ~10k writes after which
SecantusDB slowed ninefold with retryable writes. For each side it prints requests/s over the
run, over its first and its last 10 s and their ratio (target >= 0.9), p50 and p99 latency and
the writes stored; then the ratio ours/minimal in requests/s (target >= 0.8 with 1 and with 4
clients) and p99/p50 at 4 clients (target <= 3). The folding worker is not started: webhooks
only insert events (the script says how many were left unfolded). The client processes share
the machine's cores with gunicorn and SecantusDB.

Usage:
    .venv/bin/python bench/ivr_webhook.py                          # full, ~6 min on 2 cores
    .venv/bin/python bench/ivr_webhook.py --writes 5000 --seconds 5   # quick check, ~1 min
Options: --writes N, --seconds MIN, --max-seconds MAX (per side and client count),
--clients 1,4, --warmup 2 (untimed seconds before each run).
"""

from __future__ import annotations

import http.client
import os
import random
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from _driver import (  # noqa: E402
    arguments,
    drive,
    parse,
    percentile,
    request,
    start_db,
    start_gunicorn,
    stop,
    until_done,
    windows,
)
from twilio.request_validator import RequestValidator  # noqa: E402

TOKEN = "bench-auth-token"
WRITES_WANTED = 50_000
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _post(conn, validator, base, path, params):
    headers = dict(FORM)
    if validator is not None:
        headers["X-Twilio-Signature"] = validator.compute_signature(base + path, params)
    status, data, ended, took = request(conn, "POST", path, urlencode(params), headers)
    if status != 200:
        raise RuntimeError(f"{path}: {status} {data[:300]!r}")
    return data, ended, took


def _next_action(data: bytes, tag: str) -> str:
    node = ET.fromstring(data).find(tag)
    if node is None:
        raise RuntimeError(f"no <{tag}> in {data[:300]!r}")
    return node.get("action")


def survey_client(port, plan, _arg, seed):
    """Whole IVR calls, one after another, until `plan`."""
    base = f"http://127.0.0.1:{port}"
    conn = http.client.HTTPConnection("127.0.0.1", port)
    validator = RequestValidator(TOKEN)
    rng = random.Random(seed)
    run_id = uuid.uuid4().hex[:8]
    ends, lats, steps = [], [], []
    calls = 0
    while not plan.done(calls * 7):
        sid = f"CA{run_id}{seed:04d}{calls:08d}"
        common = {
            "CallSid": sid,
            "From": f"+861{rng.randrange(10**9, 10**10)}",  # a new caller: not suppressed
            "To": "+15005550006",
            "Direction": "inbound",
        }
        query = f"agent=A{rng.randrange(60):02d}&team=T1&reason=billing&lang=en-US"
        data, end, lat = _post(conn, validator, base, f"/ivr/voice?{query}", common)
        ends.append(end), lats.append(lat), steps.append("voice")
        for digits in ("5", "10", "2", "1"):  # ... and 1: yes to a recorded comment
            action = _next_action(data, "Gather")
            data, end, lat = _post(conn, validator, base, action, {**common, "Digits": digits})
            ends.append(end), lats.append(lat), steps.append("answer")
        action = _next_action(data, "Record")
        recording = {**common, "RecordingUrl": "https://r/1", "RecordingDuration": "5"}
        data, end, lat = _post(conn, validator, base, action, recording)
        ends.append(end), lats.append(lat), steps.append("record")
        status = {**common, "CallStatus": "completed"}
        _, end, lat = _post(conn, validator, base, "/ivr/status", status)
        ends.append(end), lats.append(lat), steps.append("status")
        calls += 1
    return {"ends": ends, "lats": lats, "steps": steps, "calls": calls}


def minimal_client(port, plan, _arg, seed):
    """One-insert requests, one after another, until `plan`."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    run_id = uuid.uuid4().hex[:8]

    def send(i: int) -> tuple[float, float]:
        params = {"CallSid": f"CA{run_id}{seed:04d}{i:08d}", "From": "+86138", "Digits": "5"}
        _, end, lat = _post(conn, None, "", "/hit", params)
        return end, lat

    run = until_done(plan, send)
    return {**run, "steps": ["hit"] * len(run["lats"]), "calls": 0}


def summarise(run, writes, wanted):
    lats = run["lats"]
    by_step: dict[str, list[float]] = {}
    for step, lat in zip(run["steps"], lats, strict=True):
        by_step.setdefault(step, []).append(lat)
    rates = windows(run["ends"], run["start"], run["end"])
    return {
        "rps": rates["rate"],
        **rates,
        "p50": percentile(lats, 0.5) * 1000,
        "p99": percentile(lats, 0.99) * 1000,
        "requests": len(lats),
        "calls": run["calls"],
        "writes": writes,
        "wanted": wanted,
        "steps": {k: percentile(v, 0.5) * 1000 for k, v in by_step.items()},
    }


def line(name, s):
    short = "" if s["writes"] >= s["wanted"] else f" (< {s['wanted']})"
    return (
        f"  {name:<8} {s['rps']:8.1f} req/s | first {s['window']:.0f} s {s['first']:7.1f}, "
        f"last {s['window']:.0f} s {s['last']:7.1f}, last/first {s['sustained']:.2f} "
        f"{'ok' if s['sustained'] >= 0.9 else 'BELOW 0.9'} | p50 {s['p50']:6.2f} ms, "
        f"p99 {s['p99']:6.2f} ms, p99/p50 {s['p99'] / s['p50']:.1f} | {s['requests']} requests, "
        f"{s['writes']} writes{short} "
        f"in {s['seconds']:.0f} s"
    )


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument(
        "--writes", type=int, default=WRITES_WANTED, help="requests (= writes) per timed run"
    )
    parser.add_argument("--seconds", type=float, default=20, help="minimum seconds per run")
    parser.add_argument("--max-seconds", type=float, default=150, help="maximum seconds per run")
    parser.add_argument("--clients", default="1,4", help="client counts, e.g. 1,4")
    parser.add_argument("--warmup", type=float, default=2, help="untimed seconds before each")
    args = parse(parser)
    counts = [int(c) for c in args.clients.split(",") if c.strip()]

    from ops.database import init_database
    from survey_core.storage.client import get_client

    db_proc, uri = start_db()
    procs = [db_proc]
    results: dict[int, dict[str, dict]] = {}
    spool = tempfile.mkdtemp(prefix="bench-spool-")
    try:
        client = get_client(uri, 30_000)
        db = client["bench"]
        init_database(db)  # indexes and the default surveys (post-call)
        env = {
            "MONGO_URI": uri,
            "MONGO_DB": "bench",
            "MONGO_RETRY_WRITES": "false",
            "VOC_ENV": "development",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "SPOOL_DIR": spool,
        }
        minimal, mport = start_gunicorn("minimal_app:create_app()", env)
        procs.append(minimal)
        ours, oport = start_gunicorn("ivr_survey:create_app()", env)
        procs.append(ours)
        sides = (
            ("minimal", minimal_client, mport, db.minimal),
            ("ours", survey_client, oport, db.events),
        )
        for clients in counts:
            results[clients] = {}
            for name, client_fn, port, collection in sides:
                print(f"[bench] {name}, {clients} client(s): warm-up...", flush=True)
                drive(client_fn, port, clients, args.warmup)
                before = collection.estimated_document_count()
                print(
                    f"[bench] {name}, {clients} client(s): until {args.writes} requests "
                    f"({args.seconds:.0f}-{args.max_seconds:.0f} s)...",
                    flush=True,
                )
                run = drive(client_fn, port, clients, args.seconds, args.max_seconds, args.writes)
                writes = collection.estimated_document_count() - before
                results[clients][name] = summarise(run, writes, args.writes)
                print(line(name, results[clients][name]), flush=True)
        unfolded = db.events.estimated_document_count()
        spooled = sum(len(files) for _, _, files in os.walk(spool))
    finally:
        stop(*procs)

    print()
    print(
        f"=== IVR webhooks vs one insert_one, gunicorn 2 workers x 4 threads, "
        f"runs of >= {args.writes} requests ({args.seconds:.0f}-{args.max_seconds:.0f} s) ==="
    )
    for clients, sides in results.items():
        base, ivr = sides["minimal"], sides["ours"]
        print(f"{clients} client(s):")
        print(line("minimal", base))
        print(line("ours", ivr))
        print(
            "  ours p50 by webhook: "
            + ", ".join(f"{k} {v:.2f} ms" for k, v in ivr["steps"].items())
            + f"; {ivr['calls']} full calls ({ivr['calls'] / ivr['seconds']:.1f} calls/s)"
        )
        ratio = ivr["rps"] / base["rps"]
        print(
            f"  RATIO ours/minimal requests/s: {ratio:.2f} (target >= 0.80: "
            f"{'ok' if ratio >= 0.8 else 'MISSED'})"
        )
        if clients >= 4:
            tail = ivr["p99"] / ivr["p50"]
            print(
                f"  RATIO ours p99/p50 at {clients} clients: {tail:.1f} (target <= 3: "
                f"{'ok' if tail <= 3 else 'MISSED'}); minimal's "
                f"{base['p99'] / base['p50']:.1f}"
            )
    print(
        f"note: the folding worker was not running (webhooks only insert events); "
        f"{unfolded} events left unfolded, {spooled} spooled"
    )


if __name__ == "__main__":
    main()
