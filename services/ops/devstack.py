"""The local stack behind `make run`: embedded database (unless MONGO_URI), demo data, the
folding worker and the four services."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SERVICES = (
    ("ivr_survey", 8001),
    ("web_survey", 8002),
    ("training_survey", 8003),
    ("aggregator", 8004),
)
ROOT = Path.cwd()


def _say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


def secantus_command(port: int, storage: str, *extra: str) -> list[str]:
    """The command line that starts a SecantusDB server (development and tests only)."""
    exe = shutil.which("secantusd-py") or str(Path(sys.executable).with_name("secantusd-py"))
    return [
        exe,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        storage,
        "--log-level",
        "WARNING",
        *extra,
    ]


def main() -> int:
    """Start everything, print the URLs, and stop exactly what was started on Ctrl-C."""
    env = dict(os.environ)
    db_port, storage = 0, ROOT / "var" / "secantus"
    env.setdefault("VOC_ENV", "development")
    env.setdefault("SPOOL_DIR", str(ROOT / "var" / "spool"))
    children: list[tuple[str, subprocess.Popen]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        _say("stopping...")
        for _name, proc in reversed(children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _name, proc in reversed(children):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def on_signal(*_: object) -> None:
        stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not env.get("MONGO_URI"):
            db_port = int(env.get("MONGO_PORT", "27017"))
            if not port_free(db_port):
                raise SystemExit(
                    f"port {db_port} is taken: set MONGO_PORT to start the embedded database "
                    "elsewhere, or MONGO_URI to use a running server"
                )
            storage.mkdir(parents=True, exist_ok=True)
            _say(f"starting SecantusDB on 127.0.0.1:{db_port} (data in {storage})")
            # Its own session: Ctrl-C reaches us, and we stop it last, after the services.
            proc = subprocess.Popen(
                secantus_command(db_port, str(storage)), env=env, start_new_session=True
            )
            children.append(("secantusdb", proc))
            if not wait_for_port(db_port, 30):
                raise SystemExit("SecantusDB did not start within 30 s")
            env["MONGO_URI"] = f"mongodb://127.0.0.1:{db_port}/?directConnection=true"
        else:
            _say("using MONGO_URI from the environment; no database started")
        surveyctl = [sys.executable, "-m", "ops.cli"]
        subprocess.run([*surveyctl, "db", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*surveyctl, "demo", "load"], env=env, check=True)
        worker = subprocess.Popen([*surveyctl, "worker"], env=env, start_new_session=True)
        children.append(("worker", worker))
        _say("started the folding worker (surveyctl worker)")
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        for package, port in SERVICES:
            if not port_free(port):
                raise SystemExit(f"port {port} for {package} is taken")
            svc_env = dict(env, BIND=f"127.0.0.1:{port}")
            proc = subprocess.Popen(
                [
                    gunicorn,
                    "-c",
                    str(ROOT / "deploy" / "gunicorn.conf.py"),
                    f"{package}:create_app()",
                ],
                env=svc_env,
                start_new_session=True,
            )
            children.append((package, proc))
        for package, port in SERVICES:
            if not wait_for_port(port, 30):
                raise SystemExit(f"{package} did not start on port {port}")
        _say("ready:")
        for package, port in SERVICES:
            _say(f"  {package:16s} http://127.0.0.1:{port}/healthz")
        _say("  API docs         http://127.0.0.1:8004/docs (reports), :8002/docs (web survey)")
        for lang in ("zh-CN", "en-US"):
            link = subprocess.run(
                [*surveyctl, "demo", "link", "--lang", lang],
                env=dict(env, PUBLIC_BASE_URL="http://127.0.0.1:8002"),
                capture_output=True,
                text=True,
            ).stdout.strip()
            _say(f"  a survey link    {link}  ({lang})")
        _say("Ctrl-C stops everything started here.")
        db_reported = False
        while True:
            for name, proc in children:
                if proc.poll() is None:
                    continue
                if name == "secantusdb":
                    # The services ride out a database outage (readiness says 503 meanwhile).
                    if not db_reported:
                        _say("SecantusDB stopped; services stay up. Start it again with:")
                        _say("  " + " ".join(secantus_command(db_port, str(storage))))
                        db_reported = True
                    continue
                raise SystemExit(f"{name} exited with status {proc.returncode}")
            time.sleep(1)
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
