"""Fault test: the soak's mix while the database dies and misbehaves; nothing acknowledged may
be lost, nothing counted twice.

Starts the stack of bench/loadmix.py (SecantusDB with --enable-test-commands and
--sync-on-commit, the four services under gunicorn, the folding worker; free ports, a
temporary directory) and drives the same mix as bench/soak.py at `--rate` requests/s for
`--minutes`, with every client retrying as real ones do (Twilio on a 5xx, a timeout or a
refused connection; people resubmitting after an error page; the API clients honouring
Retry-After). Every `--every` seconds one fault, in turn (each comes round at least once in a
10-minute run, the database stops twice each way):

- the database stopped with SIGTERM, or killed with SIGKILL, and started again `--down`
  seconds later on the same port and storage;
- a `configureFailPoint` `failCommand`, armed for `--armed` seconds for the services' and the
  worker's connections (`appName` voice-of-customer; the harness's own reads are spared):
  closeConnection (a network error) on insert, on update, and on the transaction commands;
  writeConcernError (the write is applied, its acknowledgement fails: code 64 with wtimeout,
  code 91 ShutdownInProgress) on insert, update and commitTransaction; and the network-type
  error codes 91 ShutdownInProgress and 6 HostUnreachable on insert.

Then the load stops, the database is left running with no fail point, and the script waits
until the worker has replayed the spool and folded every event (both watermarks past the last
event), and compares:

- ledger -> stored: every item a client was told was accepted (a 2xx, or IVR TwiML whose next
  action carries the answer) has its event (answers, submissions) or its complaint, with the
  same value; items never acknowledged are counted apart (stored anyway or not: the client
  was told nothing or an error, and retried while it could);
- stored -> records: each acknowledged answer is in its response's record;
- stored -> counted: per channel, the score histograms (csat/nps/ces, training ratings) and
  completions the rollups hold against those the stored events give, one per response;
  per-channel n through the aggregator's API (`/api/v1/metrics/breakdown?by=channel`); the
  complaint counters (hour, day, total) against the complaints stored, and the aggregator's
  complaint report against them; `surveyctl rollups rebuild --check` (records vs rollups);
- the spool: nothing left, nothing in dead/.

Exit status 0 only with zero lost and zero doubled everywhere.

Why --sync-on-commit: without it SecantusDB acknowledges a write (w: "majority") before its
log reaches the file, and a SIGKILL loses the last few tens of milliseconds of acknowledged
writes (measured: 13-51 of ~4,000 inserts from 8 threads; none with the option). MongoDB's
majority writes are journaled, so a killed mongod keeps them: the option makes the test
database as durable as the production one, and what the test finds is the services' own.
`--no-sync` shows the difference (the devstack database runs without the option).

Usage:
    .venv/bin/python bench/faults.py                            # 10 minutes at 25 requests/s
    .venv/bin/python bench/faults.py --minutes 2 --every 20     # a quick check
Options: --minutes N (10), --rate R (25), --every S (30), --down S (6), --armed S (8),
--think S (1.0), --keep, --seed N, --no-sync, --only TEXT[,TEXT] (the faults whose
description contains one of them, e.g. `--only SIGKILL,HostUnreachable`).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _driver import arguments, parse  # noqa: E402
from loadmix import (  # noqa: E402
    Driver,
    Mix,
    Stack,
    Usage,
    backlog_line,
    counters_from_events,
    counters_in_rollups,
    rss_line,
    say,
)

APP = "voice-of-customer"  # the services' and the worker's pymongo appname


def wce(code: int, name: str, wtimeout: int = 0) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "codeName": name, "errmsg": f"injected {name}"}
    if wtimeout:
        error["errInfo"] = {"wtimeout": True}
    return {"writeConcernError": error}


def fail(commands: list[str], **data: Any) -> dict[str, Any]:
    return {"failCommands": commands, **data}


INSERT, UPDATE, COMMIT = ["insert"], ["update"], ["commitTransaction"]
TXN = ["commitTransaction", "abortTransaction"]
CLOSE = {"closeConnection": True}
# (what, how): a signal stops the database; a dict arms failCommand with that data.
FAULTS: list[tuple[str, Any]] = [
    ("database stopped (SIGTERM) and restarted", signal.SIGTERM),
    ("insert: closeConnection", fail(INSERT, **CLOSE)),
    ("commitTransaction: writeConcernError 91", fail(COMMIT, **wce(91, "ShutdownInProgress"))),
    ("update: closeConnection", fail(UPDATE, **CLOSE)),
    ("insert: writeConcernError 64 (wtimeout)", fail(INSERT, **wce(64, "WriteConcernFailed", 1))),
    ("database killed (SIGKILL) and restarted", signal.SIGKILL),
    ("insert: errorCode 91 ShutdownInProgress", fail(INSERT, errorCode=91)),
    ("commit/abortTransaction: closeConnection", fail(TXN, **CLOSE)),
    ("update: writeConcernError 91", fail(UPDATE, **wce(91, "ShutdownInProgress"))),
    ("insert: writeConcernError 91", fail(INSERT, **wce(91, "ShutdownInProgress"))),
    ("insert: errorCode 6 HostUnreachable", fail(INSERT, errorCode=6)),
    ("commitTransaction: errorCode 91 ShutdownInProgress", fail(COMMIT, errorCode=91)),
]


class Faults:
    """Injects FAULTS in turn every `every` seconds until stopped; logs what it did."""

    def __init__(
        self, stack: Stack, every: float, down: float, armed: float, only: str = ""
    ) -> None:
        self.stack, self.every, self.down, self.armed = stack, every, down, armed
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        self.faults = [f for f in FAULTS if not wanted or any(w in f[0] for w in wanted)]
        if not self.faults:
            raise SystemExit(f"--only {only!r} names no fault")
        self.stop = threading.Event()
        self.done: Counter[str] = Counter()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        """Fault n starts `every` / 2 + n x `every` seconds after the load (a fixed schedule:
        a 10-minute run at the default 30 s has 20, every kind at least once, the database
        stopped twice each way)."""
        start = time.monotonic() + self.every / 2
        n = 0
        while not self.stop.wait(max(0.0, start + n * self.every - time.monotonic())):
            what, how = self.faults[n % len(self.faults)]
            n += 1
            try:
                self.inject(what, how)
            except Exception as exc:  # noqa: BLE001 - say so and carry on
                say(f"FAULT {what}: could not inject: {type(exc).__name__}: {exc}")

    def inject(self, what: str, how: Any) -> None:
        if isinstance(how, signal.Signals):
            say(f"FAULT {what}: down for {self.down:.0f} s")
            self.stack.db.stop(how)
            time.sleep(self.down)
            self.stack.db.start()
            say(
                f"      database back (pid {self.stack.db.proc.pid if self.stack.db.proc else '-'})"
            )
        else:
            say(f"FAULT failCommand {what}: armed for {self.armed:.0f} s")
            self.failpoint("alwaysOn", {**how, "appName": APP})
            time.sleep(self.armed)
            self.failpoint("off", {})
            say("      fail point off")
        self.done[what] += 1

    def failpoint(self, mode: str, data: dict[str, Any]) -> None:
        admin = self.stack.database().client.admin
        admin.command("configureFailPoint", "failCommand", mode=mode, data=data)


def wait_until_folded(stack: Stack, timeout: float) -> dict[str, Any]:
    """Wait until the spool is empty and both watermarks are past the last event."""
    db = stack.database()
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        pending = len(list(stack.spool.glob("[0-9]*.json")))
        last = db.events.find_one(sort=[("at", -1)], projection={"at": 1})
        fold = db.fold_state.find_one({"_id": "events"}) or {}
        upto, checked = fold.get("upto"), fold.get("checked")
        state = {"pending": pending, "last": last and last["at"], "upto": upto, "checked": checked}
        if (
            pending == 0
            and last
            and upto
            and checked
            and upto > last["at"]
            and checked > last["at"]
        ):
            state["folded"] = True
            return state
        time.sleep(2)
    state["folded"] = False
    return state


def chunks(values: list[str], size: int = 50) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def verify(stack: Stack, mix: Mix) -> dict[str, Any]:
    """Compare the ledger with what is stored, folded and counted; print it; the totals."""
    db = stack.database()
    items = list(mix.ledger.items.values())
    answers = [i for i in items if i.kind != "complaint"]
    events: dict[str, dict] = {}
    for part in chunks([i.event_id for i in answers]):
        events.update({d["_id"]: d for d in db.events.find({"_id": {"$in": part}})})
    rids = sorted({i.event_id.rsplit(":", 1 if i.kind != "ivr" else 2)[0] for i in answers})
    records: dict[str, dict] = {}
    for part in chunks(rids):
        records.update({d["_id"]: d for d in db.responses.find({"_id": {"$in": part}})})
    complaints = {d["_id"]: d for d in db.complaints.find({"source": "loadmix"})}

    def stored_value(item: Any) -> Any:
        if item.kind == "complaint":
            return item.event_id in complaints or None
        ev = events.get(item.event_id)
        if ev is None:
            return None
        if item.kind == "invite":
            return True
        return ev.get("value") if item.kind == "ivr" else ev.get("answers")

    def recorded_value(item: Any) -> Any:
        if item.kind == "ivr":
            rid, key = item.event_id.rsplit(":q:", 1)
            return (records.get(rid) or {}).get("answers", {}).get(key)
        rid = item.event_id[: -len(":submit")]
        got = (records.get(rid) or {}).get("answers") or {}
        return {k: got.get(k) for k in item.expect}

    by_kind: dict[str, Counter[str]] = {}
    lost_stored, lost_folded, differs, stored_unacked = [], [], [], 0
    for item in items:
        tally = by_kind.setdefault(item.kind, Counter())
        tally[item.outcome] += 1
        got = stored_value(item)
        if not item.acknowledged:
            if got is not None:
                stored_unacked += 1
                tally["(not acknowledged, stored anyway)"] += 1
            continue
        expect = True if item.kind in ("complaint", "invite") else item.expect
        if got is None:
            lost_stored.append(item)
        elif got != expect:
            differs.append((item, got))
        elif item.kind not in ("complaint", "invite") and recorded_value(item) != item.expect:
            lost_folded.append((item, recorded_value(item)))

    print()
    print("ledger (what the clients were told), by kind:")
    for kind, tally in sorted(by_kind.items()):
        print(f"  {kind:14s} " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    acked = sum(1 for i in items if i.acknowledged)
    print(
        f"acknowledged {acked}: stored {acked - len(lost_stored) - len(differs)}, "
        f"LOST {len(lost_stored)}, stored with another value {len(differs)}; "
        f"answers missing from their response's record {len(lost_folded)}"
    )
    for item in lost_stored[:10]:
        print(f"  lost: {item.kind} {item.event_id} = {item.expect!r}")
    for item, got in differs[:10]:
        print(f"  differs: {item.kind} {item.event_id}: told {item.expect!r}, stored {got!r}")
    for item, got in lost_folded[:10]:
        print(f"  not folded: {item.kind} {item.event_id}: told {item.expect!r}, record {got!r}")

    # training sessions: each acknowledged one has its roster's invitations; none other has any
    invited: Counter[str] = Counter()
    query = {"kind": "invite", "meta.channel": "training"}
    for ev in db.events.find(query, {"meta.session_id": 1}):
        invited[ev["meta"]["session_id"]] += 1
    short = {s: n for s, n in mix.sessions.items() if invited[s] != n}
    orphans = {s: n for s, n in invited.items() if s not in mix.sessions}
    print(
        f"training sessions: {len(mix.sessions)} acknowledged ({sum(mix.sessions.values())} "
        f"trainees), {mix.sessions_refused} refused after retries; acknowledged with a roster "
        f"not all invited: {len(short)}; stored but never acknowledged: {len(orphans)} "
        f"({sum(orphans.values())} invitations)"
    )
    for session, n in list(orphans.items())[:5]:
        print(f"  unacknowledged session {session}: {n} invitations")

    # counted: rollups against the stored events, per channel and counter
    expected, _ = counters_from_events(db)
    counted = counters_in_rollups(db)
    doubled, undercounted = 0, 0
    print("counted (rollups by channel) vs stored events (one per response):")
    for channel in sorted(set(expected) | set(counted)):
        exp, got = expected.get(channel, Counter()), counted.get(channel, Counter())
        over = sum(max(0, got[k] - exp[k]) for k in set(exp) | set(got))
        under = sum(max(0, exp[k] - got[k]) for k in set(exp) | set(got))
        doubled += over
        undercounted += under
        families = Counter()
        for name, n in exp.items():
            families[name.rsplit(".", 1)[0] if not name.startswith("funnel") else name] += n
        shown = ", ".join(f"{k} {v}" for k, v in sorted(families.items()))
        print(f"  {channel:9s} stored: {shown}; counted over {over}, under {under}")
        for name in sorted(set(exp) | set(got)):
            if exp[name] != got[name]:
                print(f"      {name}: stored {exp[name]}, counted {got[name]}")

    # the aggregator's API: n per channel and metric this month
    month = datetime.now(UTC).strftime("%Y-%m")
    status, body = stack.call(
        "aggregator", "GET", f"/api/v1/metrics/breakdown?month={month}&by=channel", None, "read"
    )
    api_mismatch = 0
    if status == 200:
        rows = {
            row["value"] if "value" in row else row.get("channel"): row
            for row in json.loads(body).get("rows", [])
        }
        for channel, exp in sorted(expected.items()):
            if channel == "training":  # customer figures never include trainees
                continue
            row = rows.get(channel) or {}
            for metric in ("csat", "nps", "ces"):
                want = sum(n for k, n in exp.items() if k.startswith(metric + "."))
                have = ((row.get(metric) or {}).get("n")) or 0
                if want != have:
                    api_mismatch += abs(want - have)
                    print(f"  API breakdown {channel} {metric}: n {have}, stored {want}")
        print(
            f"aggregator API (breakdown by channel, {month}): n differs from the stored "
            f"events by {api_mismatch}"
        )
    else:
        api_mismatch = -1
        print(f"aggregator API breakdown: {status} {body[:200]!r}")

    # complaints: counters against documents, and the report
    total = db.complaints.count_documents({})
    sums = {
        g: sum(
            d.get("n", 0) for d in db.complaint_counts.find({"_id": {"$regex": f"\\|{g}(\\||$)"}})
        )
        for g in ("hm", "dh", "all")
    }
    complaint_off = sum(abs(v - total) for v in sums.values())
    status, body = stack.call(
        "aggregator", "GET", f"/api/v1/complaints/report?month={month}&by=category", None, "read"
    )
    reported = (
        sum(r.get("complaints", 0) for r in json.loads(body).get("rows", []))
        if status == 200
        else -1
    )
    this_month = db.complaints.count_documents({"month": month})
    print(
        f"complaints: {len(complaints)} from the ledger's system stored, {total} in all (with the "
        f"worker's follow-ups); counters hour/day/total {sums['hm']}/{sums['dh']}/{sums['all']}; "
        f"report ({month}) {reported} vs {this_month} stored that month"
    )
    complaint_off += abs(reported - this_month) if reported >= 0 else 1

    # records against rollups, the service's own check
    check = subprocess.run(
        [sys.executable, "-m", "ops.cli", "rollups", "rebuild", "--check"],
        env=stack.env(),
        capture_output=True,
        text=True,
    )
    lines = (check.stdout + check.stderr).strip().splitlines()
    print(
        f"surveyctl rollups rebuild --check: exit {check.returncode}: {lines[-1] if lines else ''}"
    )
    for line in lines[:-1][:10]:
        print(f"  {line}")
    dead = len(list((stack.spool / "dead").glob("*")))
    pending = len(list(stack.spool.glob("[0-9]*.json")))
    print(f"spool: {pending} pending, {dead} in dead/")
    if dead:
        for path in sorted((stack.spool / "dead").glob("*"))[:10]:
            record = json.loads(path.read_text())
            present = db.events.find_one({"_id": record.get("_id")}, {"_id": 1}) is not None
            print(
                f"  dead: {path.name}: {record.get('_id')} "
                f"({'stored' if present else 'NOT STORED'})"
            )
    return {
        "acknowledged": acked,
        "lost": len(lost_stored) + len(differs) + len(lost_folded) + undercounted + len(short),
        "doubled": doubled,
        "orphan_sessions": len(orphans),
        "api_mismatch": api_mismatch,
        "complaint_mismatch": complaint_off,
        "rebuild_drift": check.returncode != 0,
        "dead": dead,
        "stored_unacked": stored_unacked,
    }


def main() -> int:
    parser = arguments(__doc__)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=25.0, help="requests per second")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between faults")
    parser.add_argument("--down", type=float, default=6.0, help="seconds the database is down")
    parser.add_argument("--armed", type=float, default=8.0, help="seconds a fail point is on")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--only", default="", help="only the faults naming these, e.g. SIGKILL,6")
    parser.add_argument(
        "--no-sync",
        action="store_true",
        help="SecantusDB without --sync-on-commit (a SIGKILL then loses the writes it "
        "acknowledged in its last moments: the database's loss, not the services')",
    )
    args = parse(parser)

    options = ["--enable-test-commands"] + ([] if args.no_sync else ["--sync-on-commit"])
    stack = Stack(db_options=options)
    failed = True
    try:
        stack.start()
        mix = Mix(stack, retry=True, think_s=args.think, seed=args.seed)
        driver = Driver(mix, args.rate)
        faults = Faults(stack, args.every, args.down, args.armed, args.only)

        def on_minute(k: int, start: float, end: float) -> None:
            w = mix.stats.window(start, end)
            kinds = ", ".join(f"{what} x{n}" for what, n in w["kinds"].most_common(3))
            say(
                f"minute {k:2d}: {w['rps']:5.1f} req/s ({w['requests']} requests), "
                f"p50 {w['p50']:6.1f} ms, p99 {w['p99']:7.1f} ms, failed attempts {w['errors']}"
                + (f" ({kinds})" if kinds else "")
            )
            say(f"           {rss_line(stack.rss())}")
            try:
                say(f"           {usage.line()}; {backlog_line(stack.backlog())}")
            except Exception as exc:  # noqa: BLE001 - the database may be down right now
                say(f"           {usage.line()}; fold backlog: ({type(exc).__name__})")

        say(
            f"driving {args.rate:.0f} requests/s for {args.minutes} min with a fault every "
            f"{args.every:.0f} s (clients retry)..."
        )
        started_with = set(stack.processes())
        usage = Usage(stack)
        faults.thread.start()
        driver.run(args.minutes * 60, on_minute)
        faults.stop.set()
        faults.thread.join()
        say("load stopped; waiting for the flows under way (retries included)...")
        finished = driver.finish(timeout=300)
        faults.failpoint("off", {})
        if stack.worker is None or stack.worker.poll() is not None:
            say("the worker had exited: starting it again")
            stack.start_worker()
        say("waiting for the worker to replay the spool and fold every event...")
        state = wait_until_folded(stack, timeout=600)
        say(
            f"folded: {state.get('folded')}, spool pending {state.get('pending')}, "
            f"watermarks upto {state.get('upto')}, checked {state.get('checked')}, "
            f"last event {state.get('last')}"
        )
        print()
        print(
            f"=== faults: {args.minutes} min at {args.rate:.0f} requests/s offered, a fault every "
            f"{args.every:.0f} s ==="
        )
        print("faults injected: " + ", ".join(f"{k} x{v}" for k, v in faults.done.items()))
        print(
            f"requests (attempts): {len(mix.stats.ends)}, failed attempts "
            f"{len(mix.stats.errors)}, retries {mix.stats.retries}"
            + ("" if finished else "; SOME FLOWS DID NOT FINISH")
        )
        gone = sorted(p for p in started_with - set(stack.processes()) if " w" in p)
        print(
            f"gunicorn workers replaced during the run: {len(gone)}"
            + (f" ({', '.join(gone)})" if gone else "")
        )
        result = verify(stack, mix)
        verdicts = [
            ("every flow finished", finished),
            ("the worker folded everything", bool(state.get("folded"))),
            (f"zero lost (acknowledged {result['acknowledged']})", result["lost"] == 0),
            ("zero doubled (rollups vs stored events)", result["doubled"] == 0),
            ("no session stored that the platform was not told of", not result["orphan_sessions"]),
            ("the aggregator's API agrees", result["api_mismatch"] == 0),
            ("complaint counters and report agree", result["complaint_mismatch"] == 0),
            ("no rollup drift (rebuild --check)", not result["rebuild_drift"]),
            ("nothing dead-lettered in the spool", result["dead"] == 0),
        ]
        print()
        print(
            f"LOST {result['lost']}, DOUBLED {result['doubled']} "
            f"(and {result['stored_unacked']} items stored without an acknowledgement)"
        )
        for name, ok in verdicts:
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")
        failed = not all(ok for _, ok in verdicts)
        print(f"faults: {'FAILED' if failed else 'passed'}")
    finally:
        stack.stop()
        if args.keep or failed:
            say(f"logs and data kept in {stack.tmp}")
        else:
            shutil.rmtree(stack.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
