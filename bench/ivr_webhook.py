"""Benchmark: full IVR survey calls under gunicorn vs a minimal one-insert Flask handler.

Both run under the same gunicorn settings against the same SecantusDB server on loopback, in
one run. Prints requests/s and p50/p99 per request for each, and the ratio (target >= 0.8).
Usage: python bench/ivr_webhook.py [--seconds 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import random
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _servers import percentile, start_db, start_gunicorn, stop  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TOKEN = "bench-auth-token"


def _post(conn, base, path, params, sign=True):
    body = urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(
            base + path, params
        )
    started = time.perf_counter()
    conn.request("POST", path, body, headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
    return data, elapsed


def survey_worker(port, seconds, seed, out):
    base = f"http://127.0.0.1:{port}"
    conn = http.client.HTTPConnection("127.0.0.1", port)
    rng = random.Random()
    run_id = uuid.uuid4().hex[:8]
    latencies, calls, by_step = [], 0, {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sid = f"CA{run_id}{seed:04d}{calls:08d}"
        common = {
            "CallSid": sid,
            "From": f"+861{rng.randrange(10**9, 10**10)}",
            "To": "+15005550006",
            "Direction": "inbound",
        }
        data, t = _post(conn, base, "/ivr/voice?agent=A1&team=t&reason=billing&lang=en-US", common)
        latencies.append(t)
        by_step.setdefault("voice", []).append(t)
        for digits in ("5", "10", "2"):
            gather = ET.fromstring(data).find("Gather")
            if gather is None:
                raise RuntimeError(data)
            action = gather.get("action")
            data, t = _post(conn, base, action, {**common, "Digits": digits})
            latencies.append(t)
            by_step.setdefault("answer", []).append(t)
        action = ET.fromstring(data).find("Record").get("action")
        data, t = _post(
            conn, base, action, {**common, "RecordingUrl": "https://r/1", "RecordingDuration": "5"}
        )
        latencies.append(t)
        by_step.setdefault("record", []).append(t)
        _, t = _post(conn, base, "/ivr/status", {**common, "CallStatus": "completed"})
        latencies.append(t)
        by_step.setdefault("status", []).append(t)
        calls += 1
    out.put((latencies, calls, by_step))


def minimal_worker(port, seconds, seed, out):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        params = {"CallSid": f"CA{seed:04d}{i:08d}", "From": "+8613800000000", "Digits": "5"}
        _, t = _post(conn, "", "/hit", params, sign=False)
        latencies.append(t)
        i += 1
    out.put((latencies, 0, {}))


def run(worker, port, seconds, clients):
    out = mp.Queue()
    procs = [mp.Process(target=worker, args=(port, seconds, i, out)) for i in range(clients)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - started
    latencies = [t for lat, _, _ in results for t in lat]
    calls = sum(c for _, c, _ in results)
    steps: dict[str, list[float]] = {}
    for _, _, by_step in results:
        for step, values in by_step.items():
            steps.setdefault(step, []).extend(values)
    return {
        "steps": {k: percentile(v, 0.5) * 1000 for k, v in steps.items()},
        "rps": len(latencies) / wall,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "requests": len(latencies),
        "calls": calls,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    db, uri = start_db()
    procs = [db]
    try:
        from survey_core.storage.indexes import ensure_indexes
        from survey_core.storage.client import get_client

        ensure_indexes(get_client(uri, 10_000)["bench"])
        env = {
            "MONGO_URI": uri,
            "MONGO_DB": "bench",
            "VOC_ENV": "development",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "SPOOL_DIR": "/tmp/bench-spool",
        }
        minimal, mport = start_gunicorn("minimal_app:create_app()", env)
        procs.append(minimal)
        ours, oport = start_gunicorn("ivr_survey:create_app()", env)
        procs.append(ours)
        print(f"[bench] warming up ({args.clients} clients)...", flush=True)
        run(minimal_worker, mport, 1, args.clients)
        run(survey_worker, oport, 1, args.clients)
        print(f"[bench] minimal handler for {args.seconds:.0f} s...", flush=True)
        base = run(minimal_worker, mport, args.seconds, args.clients)
        print(f"[bench] IVR survey calls for {args.seconds:.0f} s...", flush=True)
        ivr = run(survey_worker, oport, args.seconds, args.clients)
    finally:
        stop(*procs)
    print(
        f"minimal insert_one handler: {base['rps']:8.1f} req/s  p50 {base['p50']:6.2f} ms  "
        f"p99 {base['p99']:6.2f} ms  ({base['requests']} requests)"
    )
    print(
        f"IVR survey webhooks       : {ivr['rps']:8.1f} req/s  p50 {ivr['p50']:6.2f} ms  "
        f"p99 {ivr['p99']:6.2f} ms  ({ivr['requests']} requests, {ivr['calls']} full calls, "
        f"{ivr['calls'] / ivr['wall']:.1f} calls/s)"
    )
    print("IVR p50 by webhook: " + ", ".join(f"{k} {v:.2f} ms" for k, v in ivr["steps"].items()))
    print(
        f"ratio (IVR / minimal, requests per second): {ivr['rps'] / base['rps']:.2f}  "
        f"(target >= 0.80)"
    )


if __name__ == "__main__":
    main()
