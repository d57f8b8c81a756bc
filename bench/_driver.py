"""The benchmarks' one driver: servers on loopback, clients in processes, runs and their rates.

A benchmark script holds only what it measures: it starts its servers here (`start_db`,
`start_gunicorn`), warms up and runs N client processes for S seconds or R requests (`drive`,
see `Plan`), or one client for S seconds (`for_seconds`), and prints rates over the run and
over its first and last 10 s (`windows`) with their ratio.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import queue
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WINDOW_S = 10.0  # the first and the last window of a run


class _Devstack:
    """`ops.devstack` of this tree, imported when first used (a measuring subprocess points
    its imports at another commit's tree, whose devstack may differ)."""

    def __getattr__(self, name: str):
        import ops.devstack

        return getattr(ops.devstack, name)


devstack = _Devstack()


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """A parser described by the first line of the benchmark's docstring (all of it in -h)."""
    first_line = (doc or "").splitlines()[0]
    formatter = argparse.RawDescriptionHelpFormatter
    return argparse.ArgumentParser(description=first_line, formatter_class=formatter)


def parse(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The command line; from here a SIGTERM (a timeout, a wrapper) still stops the servers
    through the benchmark's `finally`."""
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return args


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_db(storage: str | None = None) -> tuple[subprocess.Popen, str]:
    """A SecantusDB server on a free loopback port, storing in `storage` (default: a new
    temporary directory, left behind)."""
    port = free_port()
    storage = storage or tempfile.mkdtemp(prefix="bench-secantus-")
    proc = subprocess.Popen(
        devstack.secantus_command(port, storage),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not devstack.wait_for_port(port, 30):
        raise SystemExit("SecantusDB did not start")
    return proc, f"mongodb://127.0.0.1:{port}/?directConnection=true"


def gunicorn_env(env: dict[str, str], port: int, workers: int) -> dict[str, str]:
    return dict(
        os.environ,
        **env,
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(str(p) for p in (ROOT / "services", ROOT, ROOT / "bench")),
    )


def start_gunicorn(app: str, env: dict[str, str], workers: int = 2) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        devstack.gunicorn_command(app),
        env=gunicorn_env(env, port, workers),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not devstack.wait_for_port(port, 30):
        raise SystemExit(f"{app} did not start")
    return proc, port


def stop(*procs: subprocess.Popen) -> None:
    devstack.end_processes(procs)


# --- requests and runs ---------------------------------------------------------------------


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, float, float]:
    """(status, body, when it ended, how long it took) of one request."""
    started = time.monotonic()
    conn.request(method, path, body, headers or {})
    response = conn.getresponse()
    data = response.read()
    ended = time.monotonic()
    return response.status, data, ended, ended - started


class Plan:
    """When a run stops: after `min_s` once the clients made `requests` requests between them,
    at `max_s`, or when a client has nothing left to send (`halt`). Shared by the client
    processes; the first to see it done notes the time."""

    def __init__(self, start_at: float, min_s: float, max_s: float, requests: int) -> None:
        self.start_at, self.min_s, self.max_s, self.requests = start_at, min_s, max_s, requests
        self.count = mp.Value("q", 0)
        self.stop_at = mp.Value("d", 0.0)
        self.ran_out = mp.Value("b", 0)
        self._mine = 0  # this process's requests already added to `count`

    def done(self, mine: int) -> bool:
        with self.count.get_lock():
            self.count.value += mine - self._mine
            total = self.count.value
        self._mine = mine
        if self.stop_at.value:
            return True
        now = time.monotonic()
        elapsed = now - self.start_at
        if elapsed < self.max_s and (elapsed < self.min_s or total < self.requests):
            return False
        self._stop(now)
        return True

    def halt(self) -> None:
        self.ran_out.value = 1
        self._stop(time.monotonic())

    def _stop(self, now: float) -> None:
        with self.stop_at.get_lock():
            if not self.stop_at.value:
                self.stop_at.value = now


# A client: (port, plan, its own argument, its number) -> {"ends": [...], "lats": [...], ...},
# requests one after another until `plan.done(requests made)`.
Client = Callable[[int, Plan, Any, int], dict[str, Any]]


def until_done(plan: Plan, send: Callable[[int], tuple[float, float] | None]) -> dict[str, Any]:
    """A client's loop: `send(i)` makes request i and gives (when it ended, its latency), or
    None when the client has nothing left to send (the run then stops); until `plan` is done."""
    ends, lats = [], []
    i = 0
    while not plan.done(i):
        sent = send(i)
        if sent is None:
            plan.halt()
            break
        ends.append(sent[0]), lats.append(sent[1])
        i += 1
    return {"ends": ends, "lats": lats}


def _client_process(client: Client, port: int, start_at: float, plan: Plan, arg, seed, out):
    try:
        time.sleep(max(0.0, start_at - time.monotonic()))
        out.put((client(port, plan, arg, seed), None))
    except Exception:  # noqa: BLE001 - reported by the parent
        out.put(({}, traceback.format_exc()))


def drive(
    client: Client,
    port: int,
    clients: int,
    min_s: float,
    max_s: float | None = None,
    requests: int = 0,
    args: list[Any] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run `clients` processes of `client` (see Plan), client i with `args[i]`: the run's start
    and end, and each list its clients returned, joined (`ends`, `lats`, ...)."""
    out: mp.Queue = mp.Queue()
    start_at = time.monotonic() + 1.0  # every process starts at the same instant
    plan = Plan(start_at, min_s, min_s if max_s is None else max_s, requests)
    procs = [
        mp.Process(
            target=_client_process,
            args=(client, port, start_at, plan, args[i] if args else None, i, out),
            daemon=True,
        )
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    results = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=10))
        except queue.Empty:
            if not any(p.is_alive() for p in procs):
                raise RuntimeError("the client processes died without a result") from None
            if progress:
                say(f"  ... {plan.count.value} requests, {time.monotonic() - start_at:.0f} s")
    for p in procs:
        p.join()
    errors = [err for _, err in results if err]
    if errors:
        raise RuntimeError("a client failed:\n" + errors[0])
    run: dict[str, Any] = {
        "start": start_at,
        "end": plan.stop_at.value,
        "ran_out": bool(plan.ran_out.value),
    }
    for result, _ in results:
        for name, values in result.items():
            run[name] = run.get(name, 0 if isinstance(values, int) else []) + values
    return run


def for_seconds(send: Callable[[int], float], seconds: float) -> dict[str, Any]:
    """One client: `send(i)` (it makes request i and returns its latency), one after another
    for `seconds`; the run as `drive` gives it."""
    ends, lats = [], []
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < seconds:
        lats.append(send(i))
        ends.append(time.monotonic())
        i += 1
    return {"start": started, "end": ends[-1] if ends else started, "ends": ends, "lats": lats}


def windows(
    times: Iterable[float], start: float, end: float, weights: Iterable[int] | None = None
) -> dict[str, float]:
    """Rates (per second) over the run from `start` to `end` and over its first and its last
    WINDOW_S seconds (half the run when it is shorter), of events at `times` (each counting
    its weight, or 1), and last/first."""
    counted = list(zip(times, weights, strict=True)) if weights is not None else None
    pairs = counted if counted is not None else [(t, 1) for t in times]
    elapsed = end - start
    window = min(WINDOW_S, elapsed / 2)
    first = sum(n for t, n in pairs if start <= t < start + window) / window if window else 0.0
    last = sum(n for t, n in pairs if end - window <= t <= end) / window if window else 0.0
    return {
        "rate": sum(n for t, n in pairs if start <= t <= end) / elapsed if elapsed else 0.0,
        "first": first,
        "last": last,
        "sustained": last / first if first else float("nan"),
        "window": window,
        "seconds": elapsed,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latencies(lats: list[float]) -> dict[str, float]:
    """p50, p90 and p99 in milliseconds."""
    return {f"p{q}": percentile(lats, q / 100) * 1000 for q in (50, 90, 99)}
