"""A real gunicorn (deploy/gunicorn.conf.py) serving one of our apps on a free port, for the
tests that speak to it over a socket or put nginx in front of it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ops.devstack import end_processes, gunicorn_command, wait_for_port
from tests.dbserver import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_gunicorn(app: str, mongo_uri: str, tmp: Path, **settings: str) -> Iterator[int]:
    """`app` (e.g. "aggregator:create_app()") under gunicorn, one worker; yields its port."""
    port = free_port()
    env = dict(
        os.environ,
        VOC_ENV="test",
        MONGO_URI=mongo_uri,
        SPOOL_DIR=str(tmp / "spool"),
        METRICS_DIR=str(tmp),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="warning",
        **settings,
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with open(tmp / "gunicorn.log", "wb") as log:
        proc = subprocess.Popen(
            gunicorn_command(app), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            if not wait_for_port(port, 30):
                raise RuntimeError("gunicorn did not start: " + (tmp / "gunicorn.log").read_text())
            yield port
        finally:
            end_processes([proc], wait_s=15)
