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
from collections.abc import Iterable
from pathlib import Path

PACKAGES = ("ivr_survey", "web_survey", "training_survey", "aggregator")
# The checkout (for deploy/gunicorn.conf.py); var/ (database, spool, devstack.env) is made in
# the working directory.
CHECKOUT = Path(__file__).resolve().parents[2]
KEY_SCOPES = ("read", "write", "admin")


def services(port_base: int) -> list[tuple[str, int]]:
    """Each service's package and port: PORT_BASE + 1 .. + 4 (8001-8004 by default)."""
    return [(package, port_base + i) for i, package in enumerate(PACKAGES, start=1)]


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


def gunicorn_command(app: str) -> list[str]:
    """gunicorn with the deployment's settings (deploy/gunicorn.conf.py) serving `app`."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [gunicorn, "-c", str(CHECKOUT / "deploy" / "gunicorn.conf.py"), app]


def end_processes(
    procs: Iterable[subprocess.Popen], sig: int = signal.SIGTERM, wait_s: float = 10.0
) -> None:
    """Send `sig` to each process still running, then wait up to `wait_s` for each (and kill
    the ones that do not end by then)."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(sig)
    for proc in procs:
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(wait_s)


def fresh_keys(env: dict[str, str]) -> dict[str, str]:
    """One API key per scope for this run (`make-run-<scope>`; the previous run's are
    revoked), as VOC_<SCOPE>_KEY variables."""
    from survey_core.settings import Settings
    from survey_core.storage import client
    from survey_core.web import auth

    db = client.database(Settings.from_env(env), 30_000)
    keys = {}
    for scope in KEY_SCOPES:
        auth.revoke_key(db, f"make-run-{scope}")
        keys[f"VOC_{scope.upper()}_KEY"], _ = auth.create_key(db, f"make-run-{scope}", scope)
    return keys


def main() -> int:
    """Start everything, print the URLs, keys and a test call, and stop exactly what was
    started on Ctrl-C."""
    from ops import stack_env

    root = Path.cwd()
    env = dict(os.environ)
    db_port, storage = 0, root / "var" / "secantus"
    env.setdefault("VOC_ENV", "development")
    env.setdefault("SPOOL_DIR", str(root / "var" / "spool"))
    port_base = int(env.get("PORT_BASE") or 8000)
    ports = services(port_base)
    ivr_url, web_url, agg_url = (f"http://127.0.0.1:{ports[i][1]}" for i in (0, 1, 3))
    env_file = stack_env.env_file(env)
    env_file.unlink(missing_ok=True)  # a stale one from a stack that was killed
    children: list[tuple[str, subprocess.Popen]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        _say("stopping...")
        env_file.unlink(missing_ok=True)
        end_processes(proc for _name, proc in reversed(children))

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
        keys = fresh_keys(env)
        stack_env.write(
            env_file,
            {
                name: env[name]
                for name in ("VOC_ENV", "MONGO_URI", "MONGO_DB", "SPOOL_DIR", "TIMEZONE")
                if env.get(name)
            }
            | {"VOC_IVR_URL": ivr_url, "VOC_WEB_URL": web_url}
            | keys,
        )
        worker = subprocess.Popen([*surveyctl, "worker"], env=env, start_new_session=True)
        children.append(("worker", worker))
        _say("started the folding worker (surveyctl worker)")
        for package, port in ports:
            if not port_free(port):
                raise SystemExit(f"port {port} for {package} is taken")
            svc_env = dict(env, BIND=f"127.0.0.1:{port}")
            command = gunicorn_command(f"{package}:create_app()")
            proc = subprocess.Popen(command, env=svc_env, start_new_session=True)
            children.append((package, proc))
        for package, port in ports:
            if not wait_for_port(port, 30):
                raise SystemExit(f"{package} did not start on port {port}")
        _say("ready:")
        for package, port in ports:
            _say(f"  {package:16s} http://127.0.0.1:{port}/healthz")
        _say(f"  API docs         {agg_url}/docs (reports), {web_url}/docs (web survey)")
        _say(f"  dashboard        {agg_url}/dashboard (sign in with the read key below)")
        for lang in ("zh-CN", "en-US"):
            link = subprocess.run(
                [*surveyctl, "demo", "link", "--lang", lang],
                env=dict(env, PUBLIC_BASE_URL=web_url),
                capture_output=True,
                text=True,
            ).stdout.strip()
            _say(f"  a survey link    {link}  ({lang})")
        _say(f"API keys of this run (a new set each run; also in {env_file}):")
        _say("  export " + " ".join(f"{name}={key}" for name, key in keys.items()))
        _say(f"surveyctl (.venv/bin/surveyctl) reads this stack's settings from {env_file}.")
        _say("A signed test call through the IVR service (what the caller hears):")
        _say("  .venv/bin/surveyctl demo call")
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
