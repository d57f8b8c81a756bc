"""Benchmark: web survey API submissions under gunicorn vs a minimal one-insert Flask handler,
and the questionnaire page's render latency.

Both apps run under the same gunicorn settings (deploy/gunicorn.conf.py, 2 workers x 4
threads) against the same SecantusDB server on loopback, side by side in one run, first with 1
client process, then with 4. Our side is `web_survey:create_app()` (rate limits counted as
`make run` counts them, in each worker's memory, set to 1,000,000/minute: every request comes
from one address).

Before each of our runs the script creates the chat invitations it needs through
POST /api/v1/invitations:batch (a write-scope key; not timed, its time is printed). Part A:
each client POSTs /api/v1/responses {"token", "answers": csat, nps, ces, comment} once per
token, one request after another; anything but a 201 aborts the run with the body printed. The
baseline POSTs the same JSON body to /hit.json, stored with one `insert_one`. Each timed run
lasts until its clients made `--writes` requests between them, at least `--seconds` and at
most `--max-seconds` (a run also ends if its clients use up their links: it says so). For each
side: requests/s over the run, over its first and last 10 s and their ratio, p50/p99; then the
ratio ours/minimal in requests/s (target >= 0.6), and a check that the database holds one
`submit` event per request made. Part B: GET /s/<token> of `--pages` fresh links, one client,
p50/p99 and requests/s (at most `--max-seconds`); the baseline's POST with one client as a
reference. The folding worker is not started; the events collection's size is printed before
each of our runs (it grows with every link and answer; a page reads its response's events by
`_id` $in, which the index serves: an `_id` range made SecantusDB scan the collection, 1.7 s a
page at 89k events, before that was changed). The client processes share the machine's cores
with gunicorn and SecantusDB.

Usage:
    .venv/bin/python bench/web_submit.py            # full, ~15 min on 2 cores
    .venv/bin/python bench/web_submit.py --quick    # quick check, ~2.5 min: --writes 3000
                                                    # --seconds 5 --max-seconds 30 --pages 300
Options: --writes N, --seconds MIN, --max-seconds MAX (per side and client count),
--clients 1,4, --pages N (2000), --warmup 2 (untimed seconds before each run).
"""

from __future__ import annotations

import http.client
import json
import math
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from _driver import (  # noqa: E402
    arguments,
    drive,
    parse,
    percentile,
    request,
    say,
    start_db,
    start_gunicorn,
    stop,
    until_done,
    windows,
)

ANSWERS = {"csat": 5, "nps": 9, "ces": 2, "comment": "Quick and friendly, thank you."}
JSON_HEADERS = {"Content-Type": "application/json"}
BATCH_ITEMS = 1000  # the batch API's limit
BATCH_BYTES = 60_000  # under the default MAX_CONTENT_LENGTH (64 KiB)
CREATE_THREADS = 3  # concurrent batch calls while creating links
TARGET = 0.6  # ours / minimal in requests/s, with 1 and with 4 clients
WARMUP_LINKS = 400  # per client: a warm-up ends after `--warmup` s or when these are used


# --- links ---------------------------------------------------------------------------------


def _batches(ids: list[str]) -> list[bytes]:
    """Batch bodies of at most BATCH_ITEMS invitations and BATCH_BYTES each."""
    bodies, items, size = [], [], 0
    for interaction in ids:
        item = json.dumps({"channel": "chat", "interaction_id": interaction}, separators=(",", ":"))
        if items and (len(items) == BATCH_ITEMS or size + len(item) + 1 > BATCH_BYTES - 32):
            bodies.append(b'{"invitations":[' + ",".join(items).encode() + b"]}")
            items, size = [], 0
        items.append(item)
        size += len(item) + 1
    if items:
        bodies.append(b'{"invitations":[' + ",".join(items).encode() + b"]}")
    return bodies


def _create_batch(port: int, key: str, body: bytes) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {**JSON_HEADERS, "Authorization": f"Bearer {key}"}
        status, data, _, _ = request(conn, "POST", "/api/v1/invitations:batch", body, headers)
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"invitations:batch: {status} {data[:500]!r}")
    result = json.loads(data)
    if result["created"] != len(result["results"]):
        raise RuntimeError(f"invitations:batch: not all created: {data[:500]!r}")
    return [item["invitation"]["token"] for item in result["results"]]


def create_links(port: int, key: str, prefix: str, count: int) -> list[str]:
    """Tokens of `count` new chat invitations (interaction ids `prefix`-0000000...)."""
    started = last = time.monotonic()
    bodies = _batches([f"{prefix}-{n:07d}" for n in range(count)])
    tokens: list[str] = []
    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        for part in pool.map(lambda body: _create_batch(port, key, body), bodies):
            tokens += part
            if time.monotonic() - last >= 10 and len(tokens) < count:
                last = time.monotonic()
                say(f"  ... {len(tokens)}/{count} invitations, {last - started:.0f} s")
    took = time.monotonic() - started
    say(f"  created {count} invitations in {took:.1f} s ({count / took:.0f}/s, not timed)")
    return tokens


# --- clients -------------------------------------------------------------------------------


def submit_client(port, plan, tokens, _seed):
    """Each token's answers once, one request after another, until `plan`."""
    conn = http.client.HTTPConnection("127.0.0.1", port)

    def send(i: int) -> tuple[float, float] | None:
        if i == len(tokens):
            return None
        body = json.dumps({"token": tokens[i], "answers": ANSWERS})
        status, data, end, lat = request(conn, "POST", "/api/v1/responses", body, JSON_HEADERS)
        if status != 201:
            raise RuntimeError(f"POST /api/v1/responses: {status} {data[:1000]!r}")
        return end, lat

    return until_done(plan, send)


def minimal_client(port, plan, _tokens, seed):
    """The same JSON body (a made-up token of a real one's length) to the one-insert handler."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    run_id = uuid.uuid4().hex

    def send(i: int) -> tuple[float, float]:
        token = f"{run_id}{seed:04d}{i:08d}".ljust(96, "x")
        body = json.dumps({"token": token, "answers": ANSWERS})
        status, data, end, lat = request(conn, "POST", "/hit.json", body, JSON_HEADERS)
        if status != 201:
            raise RuntimeError(f"POST /hit.json: {status} {data[:1000]!r}")
        return end, lat

    return until_done(plan, send)


def summarise(run, writes, wanted, min_s):
    lats = run["lats"]
    rates = windows(run["ends"], run["start"], run["end"])
    return {
        "rps": rates["rate"],
        **rates,
        "p50": percentile(lats, 0.5) * 1000,
        "p99": percentile(lats, 0.99) * 1000,
        "requests": len(lats),
        "writes": writes,
        "wanted": wanted,
        "short": run["ran_out"] and (rates["seconds"] < min_s or len(lats) < wanted),
    }


def line(name, s):
    short = "" if s["requests"] >= s["wanted"] else f" (< {s['wanted']})"
    ran_out = " RAN OUT OF LINKS" if s["short"] else ""
    return (
        f"  {name:<8} {s['rps']:8.1f} req/s | first {s['window']:.0f} s {s['first']:7.1f}, "
        f"last {s['window']:.0f} s {s['last']:7.1f}, last/first {s['sustained']:.2f} | "
        f"p50 {s['p50']:6.2f} ms, p99 {s['p99']:6.2f} ms | {s['requests']} requests{short}, "
        f"{s['writes']} stored in {s['seconds']:.0f} s{ran_out}"
    )


# --- part B: one client, one request after another -----------------------------------------


def sequential(port, requests, check, max_s=math.inf, progress=False):
    """`requests` as (method, path, body, headers), one after another on one connection,
    for at most `max_s` seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    lats = []
    started = last = time.monotonic()
    for method, path, body, headers in requests:
        status, data, end, lat = request(conn, method, path, body, headers)
        check(path, status, data)
        lats.append(lat)
        if end - started >= max_s:
            break
        if progress and end - last >= 10:
            last = end
            say(f"  ... {len(lats)}/{len(requests)} requests, {end - started:.0f} s")
    took = time.monotonic() - started
    conn.close()
    return {
        "rps": len(lats) / took,
        "p50": percentile(lats, 0.5) * 1000,
        "p99": percentile(lats, 0.99) * 1000,
        "requests": len(lats),
        "wanted": len(requests),
    }


def page_ok(path, status, data):
    if status != 200 or b"<form" not in data:
        raise RuntimeError(f"GET {path[:12]}...: {status} {data[:1000]!r}")


def minimal_ok(path, status, data):
    if status != 201:
        raise RuntimeError(f"POST {path}: {status} {data[:1000]!r}")


def page_line(name, s):
    short = "" if s["requests"] >= s["wanted"] else f" (< {s['wanted']}: stopped at --max-seconds)"
    return (
        f"  {name:<8} {s['rps']:8.1f} req/s | p50 {s['p50']:6.2f} ms, p99 {s['p99']:6.2f} ms | "
        f"{s['requests']} requests{short}"
    )


def minimal_requests(count):
    run_id = uuid.uuid4().hex
    return [
        (
            "POST",
            "/hit.json",
            json.dumps({"token": f"{run_id}p{i:08d}".ljust(96, "x"), "answers": ANSWERS}),
            JSON_HEADERS,
        )
        for i in range(count)
    ]


# --- main ----------------------------------------------------------------------------------


def links_for_run(estimated_rps, clients, args):
    """Links enough for `--writes`, or for `--seconds` at 1.3x the warm-up's rate, but not
    for much more than `--max-seconds` at that rate; per client, with a margin."""
    wanted = max(args.writes, estimated_rps * args.seconds * 1.3)
    wanted = min(wanted, max(estimated_rps * args.max_seconds * 1.2, args.seconds * 100))
    return math.ceil(wanted / clients * 1.1) + 50


def submits_stored(db, prefix):
    """Stored events of this run's responses: (submit, open) counts."""
    ids = {"_id": {"$gte": f"chat:{prefix}-", "$lt": f"chat:{prefix}."}}
    return (
        db.events.count_documents({**ids, "kind": "submit"}),
        db.events.count_documents({**ids, "kind": "open"}),
    )


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--writes", type=int, default=20_000, help="requests per timed run")
    parser.add_argument("--seconds", type=float, default=20, help="minimum seconds per run")
    parser.add_argument("--max-seconds", type=float, default=150, help="maximum seconds per run")
    parser.add_argument("--clients", default="1,4", help="client counts, e.g. 1,4")
    parser.add_argument("--pages", type=int, default=2000, help="page renders (part B)")
    parser.add_argument("--warmup", type=float, default=2, help="untimed seconds before each")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="--writes 3000 --seconds 5 --max-seconds 30 --pages 300 --warmup 1",
    )
    args = parse(parser)
    if args.quick:
        args.writes, args.seconds, args.max_seconds, args.pages, args.warmup = 3000, 5, 30, 300, 1
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    # Ctrl-C reaches the whole process group (gunicorn and SecantusDB stop too) and then
    # `finally` as well.

    from ops.database import init_database
    from survey_core.storage.client import get_client
    from survey_core.web.auth import create_key

    storage = tempfile.mkdtemp(prefix="bench-web-secantus-")
    spool = tempfile.mkdtemp(prefix="bench-web-spool-")
    run_id = uuid.uuid4().hex[:8]
    procs = []
    results: dict[int, dict[str, dict]] = {}
    try:
        db_proc, uri = start_db(storage)
        procs.append(db_proc)
        db = get_client(uri, 30_000)["bench"]
        init_database(db)  # indexes and the default surveys (post-contact for the web)
        key, _ = create_key(db, "bench", "write")
        env = {
            "MONGO_URI": uri,
            "MONGO_DB": "bench",
            "MONGO_RETRY_WRITES": "false",
            "VOC_ENV": "development",
            "SPOOL_DIR": spool,
            "PUBLIC_BASE_URL": "https://survey.example.test",
            "RATE_LIMIT_PUBLIC": "1000000/minute",
        }
        minimal, mport = start_gunicorn("minimal_app:create_app()", env)
        procs.append(minimal)
        ours, oport = start_gunicorn("web_survey:create_app()", env)
        procs.append(ours)
        say(f"SecantusDB, minimal app :{mport}, web_survey :{oport}; run {run_id}")

        for clients in counts:
            results[clients] = {}
            say(f"minimal, {clients} client(s): warm-up...")
            drive(minimal_client, mport, clients, args.warmup)
            before = db.minimal.estimated_document_count()
            say(
                f"minimal, {clients} client(s): until {args.writes} requests "
                f"({args.seconds:.0f}-{args.max_seconds:.0f} s)..."
            )
            run = drive(
                minimal_client,
                mport,
                clients,
                args.seconds,
                args.max_seconds,
                args.writes,
                progress=True,
            )
            stored = db.minimal.estimated_document_count() - before
            results[clients]["minimal"] = summarise(run, stored, args.writes, args.seconds)
            print(line("minimal", results[clients]["minimal"]), flush=True)
            if stored != len(run["lats"]):
                raise RuntimeError(f"minimal: {len(run['lats'])} requests, {stored} stored")

            prefix = f"b{run_id}c{clients}"
            say(f"ours, {clients} client(s): links for the warm-up...")
            tokens = create_links(oport, key, prefix + "w", WARMUP_LINKS * clients)
            say(f"ours, {clients} client(s): warm-up...")
            warm = drive(
                submit_client,
                oport,
                clients,
                args.warmup,
                args=[tokens[i::clients] for i in range(clients)],
            )
            estimated = len(warm["lats"]) / (warm["end"] - warm["start"])
            per_client = links_for_run(estimated, clients, args)
            say(
                f"ours, {clients} client(s): warm-up {estimated:.0f} req/s; links for the "
                f"timed run ({per_client} per client)..."
            )
            tokens = create_links(oport, key, prefix + "t", per_client * clients)
            results[clients]["events"] = db.events.estimated_document_count()
            say(
                f"ours, {clients} client(s): until {args.writes} requests "
                f"({args.seconds:.0f}-{args.max_seconds:.0f} s; "
                f"{results[clients]['events']} events stored so far)..."
            )
            run = drive(
                submit_client,
                oport,
                clients,
                args.seconds,
                args.max_seconds,
                args.writes,
                args=[tokens[i::clients] for i in range(clients)],
                progress=True,
            )
            submits, opens = submits_stored(db, prefix + "t")
            results[clients]["ours"] = summarise(run, submits, args.writes, args.seconds)
            print(line("ours", results[clients]["ours"]), flush=True)
            made = len(run["lats"])
            results[clients]["opens"] = opens
            if submits != made:
                raise RuntimeError(f"ours: {made} requests, {submits} submit events stored")
            say(f"  stored: {submits} submit events for {made} requests: ok ({opens} open events)")

        say(f"page render: {args.pages} fresh links...")
        warm_pages = 50
        tokens = create_links(oport, key, f"b{run_id}p", args.pages + warm_pages)
        pages = [("GET", f"/s/{token}", None, {}) for token in tokens]
        page_events = db.events.estimated_document_count()
        say(f"page render: warm-up, then GET /s/<token>, 1 client ({page_events} events)...")
        sequential(oport, pages[:warm_pages], page_ok)
        page = sequential(oport, pages[warm_pages:], page_ok, args.max_seconds, progress=True)
        print(page_line("ours", page), flush=True)
        say("page render: the minimal app's POST /hit.json as a reference, 1 client...")
        sequential(mport, minimal_requests(warm_pages), minimal_ok)
        reference = sequential(
            mport, minimal_requests(args.pages), minimal_ok, args.max_seconds, progress=True
        )
        print(page_line("minimal", reference), flush=True)
        opened = db.events.count_documents(
            {"_id": {"$gte": f"chat:b{run_id}p-", "$lt": f"chat:b{run_id}p."}, "kind": "open"}
        )
    finally:
        stop(*procs)
        shutil.rmtree(storage, ignore_errors=True)
        shutil.rmtree(spool, ignore_errors=True)

    print()
    print(
        f"=== Web survey API submissions vs one insert_one, gunicorn 2 workers x 4 threads, "
        f"runs of >= {args.writes} requests ({args.seconds:.0f}-{args.max_seconds:.0f} s) ==="
    )
    for clients, sides in results.items():
        base, web = sides["minimal"], sides["ours"]
        print(
            f"{clients} client(s) ({sides['events']} events stored before ours; its submissions "
            f"stored {web['writes']} submit and {sides['opens']} open events):"
        )
        print(line("minimal", base))
        print(line("ours", web))
        ratio = web["rps"] / base["rps"]
        print(
            f"  RATIO ours/minimal requests/s: {ratio:.3f} (target >= {TARGET:.2f}: "
            f"{'met' if ratio >= TARGET else 'MISSED'}); p50 {web['p50'] / base['p50']:.2f}x"
        )
    print(
        f"=== Page render, GET /s/<token> of fresh links, 1 client, {args.pages} requests "
        f"(at most {args.max_seconds:.0f} s; {page_events} events stored) ==="
    )
    print(page_line("ours", page))
    print(page_line("minimal", reference) + " (POST /hit.json, one insert_one: a reference)")
    print(f"  {opened} pages opened a response (an `open` event each)")
    print("note: the folding worker was not running")


if __name__ == "__main__":
    main()
