"""Shared by the benchmarks: a SecantusDB server and gunicorn processes on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ops.devstack import secantus_command, wait_for_port

ROOT = Path(__file__).resolve().parents[1]


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
        secantus_command(port, storage), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if not wait_for_port(port, 30):
        raise SystemExit("SecantusDB did not start")
    return proc, f"mongodb://127.0.0.1:{port}/?directConnection=true"


def start_gunicorn(app: str, env: dict[str, str], workers: int = 2) -> tuple[subprocess.Popen, int]:
    port = free_port()
    full_env = dict(
        os.environ,
        **env,
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(str(p) for p in (ROOT / "services", ROOT, ROOT / "bench")),
    )
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port(port, 30):
        raise SystemExit(f"{app} did not start")
    return proc, port


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
