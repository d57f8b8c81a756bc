"""Benchmark: resident memory (RSS) of each service's gunicorn worker, target <= 100 MB.

Each service runs under gunicorn as deployed (deploy/gunicorn.conf.py, gthread), with one
worker (WEB_CONCURRENCY=1), against a SecantusDB server of its own holding the demo data
(`surveyctl db init`, `demo load`, one folding round) plus monitor scores and agent
self-ratings (so the calibration report computes Spearman's r, kappa and Krippendorff's
alpha). The worker's RSS (psutil) is read once it answers /healthz ("startup") and after
`--rounds` rounds of a request mix ("after"):

- aggregator: monthly (JSON and CSV), breakdowns, funnel, trainer ranking and trend,
  calibration by agent and by monitor, the agent report, the dashboard (signed in), /metrics
  and the OpenAPI document;
- web_survey: an invitation, its page, its answers; ivr_survey: one whole signed call
  (voice, three answers, recording, status); training_survey: trainers and sessions; all:
  /healthz, /readyz, /metrics.

Prints one line per service: RSS after startup and after the mix, the target, the ratio
after/target and PASS (<= 1.0) or FAIL.

Usage:
    .venv/bin/python bench/memory.py
    .venv/bin/python bench/memory.py --services aggregator --rounds 5
Options: --services (comma-separated, default all four), --rounds 3, --target-mb 100.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from _driver import arguments, parse, start_db, start_gunicorn, stop  # noqa: E402

SERVICES = ("ivr_survey", "web_survey", "training_survey", "aggregator")
TWILIO_TOKEN = "bench-auth-token"
MB = 1024 * 1024


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


class Client:
    """requests against one service, every answer checked (a failing mix measures nothing)."""

    def __init__(self, port: int, keys: dict[str, str]) -> None:
        import requests

        self.base = f"http://127.0.0.1:{port}"
        self.session = requests.Session()
        self.keys = keys

    def call(self, method: str, path: str, scope: str | None = "read", **kwargs):  # noqa: ANN201
        headers = kwargs.pop("headers", {})
        if scope:
            headers["Authorization"] = f"Bearer {self.keys[scope]}"
        response = self.session.request(
            method, self.base + path, headers=headers, timeout=60, allow_redirects=False, **kwargs
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def get(self, path: str, scope: str | None = "read", **kwargs):  # noqa: ANN201
        return self.call("GET", path, scope, **kwargs)


def common(client: Client) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        client.get(path, None)


def aggregator_mix(client: Client, month: str, months: tuple[str, str]) -> None:
    common(client)
    client.get("/api/v1/openapi.json", None)
    client.get(f"/api/v1/metrics/monthly?from={months[0]}&to={months[1]}")
    client.get(f"/api/v1/metrics/monthly?from={months[0]}&to={months[1]}&format=csv")
    for by in ("agent", "team", "reason", "channel"):
        client.get(f"/api/v1/metrics/breakdown?month={month}&by={by}")
    client.get(f"/api/v1/funnel?month={month}")
    client.get(f"/api/v1/trainers/ranking?month={month}&min_n=0")
    client.get(f"/api/v1/trainers/TR01/monthly?from={months[0]}&to={months[1]}")
    for by in ("agent", "team", "monitor"):
        report = client.get(f"/api/v1/calibration?month={month}&by={by}").json()
    if (report.get("monitors") or {}).get("alpha") is None:
        raise RuntimeError(f"the calibration report computed no alpha: {report}")
    client.get(f"/api/v1/agents/report?month={month}")
    # The dashboard: sign in with the read key through the form, then the page itself.
    page = client.get("/dashboard/sign-in", None).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    client.call(
        "POST",
        "/dashboard/sign-in",
        None,
        data={"key": client.keys["read"], "csrf_token": token.group(1)},
    )
    html = client.get(f"/dashboard?month={month}", None).text
    if "<svg" not in html:
        raise RuntimeError("the dashboard has no chart: not signed in?")


def web_mix(client: Client) -> None:
    common(client)
    body = {"channel": "chat", "interaction_id": f"mem-{uuid.uuid4().hex[:12]}"}
    made = client.call("POST", "/api/v1/invitations", "write", json=body).json()
    token = made["token"]
    client.get(f"/s/{token}", None)
    answers = {"csat": 4, "nps": 9, "ces": 2, "comment": "fine"}
    client.call("POST", "/api/v1/responses", None, json={"token": token, "answers": answers})


def training_mix(client: Client) -> None:
    common(client)
    client.get("/api/v1/trainers", "admin")
    client.get("/api/v1/sessions", "admin")


def ivr_mix(client: Client) -> None:
    import xml.etree.ElementTree as ET

    from twilio.request_validator import RequestValidator

    common(client)
    validator = RequestValidator(TWILIO_TOKEN)
    call = {
        "CallSid": f"CA{uuid.uuid4().hex}",
        "From": f"+8613{uuid.uuid4().int % 10**9:09d}",
        "To": "+15005550006",
        "Direction": "inbound",
    }

    def post(path: str, params: dict[str, str]) -> bytes:
        signature = validator.compute_signature(client.base + path, params)
        return client.call(
            "POST",
            path,
            None,
            data=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        ).content

    data = post("/ivr/voice?agent=A01&team=north&reason=billing&lang=en-US", call)
    for digits in ("5", "10", "2"):
        action = ET.fromstring(data).find("Gather").get("action")  # type: ignore[union-attr]
        data = post(action, {**call, "Digits": digits})
    action = ET.fromstring(data).find("Record").get("action")  # type: ignore[union-attr]
    post(action, {**call, "RecordingUrl": "https://r/1", "RecordingDuration": "5"})
    post("/ivr/status", {**call, "CallStatus": "completed"})


def seed(uri: str, env: dict[str, str]) -> tuple[dict[str, str], str, tuple[str, str]]:
    """Demo data, keys, monitor scores and self-ratings; (keys, month, (first, last month))."""
    from ops.worker import survey_lookup
    from survey_core.folding.batch import fold_all
    from survey_core.months import month_of, months_ending
    from survey_core.settings import Settings
    from survey_core.storage.client import get_client
    from survey_core.web.auth import create_key

    surveyctl = [sys.executable, "-m", "ops.cli"]
    for command in (["db", "init"], ["demo", "load"]):
        subprocess.run([*surveyctl, *command], env=env, check=True, capture_output=True)
    db = get_client(uri, 30_000)[env["MONGO_DB"]]
    fold_all(db, survey_lookup(db), lag_s=0)  # every demo event, now (as the worker will)
    keys = {
        scope: create_key(db, f"bench-{scope}", scope)[0] for scope in ("read", "write", "admin")
    }
    month = month_of(datetime.now(UTC), Settings.from_env(env).tz)
    months = months_ending(month, 12)
    return keys, month, (months[0], months[-1])


def quality_data(client: Client, month: str, uri: str, env: dict[str, str]) -> None:
    """Two monitors' scores and the agent's self-rating on 30 of the month's contacts."""
    from survey_core.storage.client import get_client

    db = get_client(uri, 30_000)[env["MONGO_DB"]]
    contacts = list(
        db.responses.find(
            {"month": month, "channel": {"$ne": "training"}},
            {"interaction_id": 1, "channel": 1, "agent_id": 1, "team": 1},
        ).limit(30)
    )
    if len(contacts) < 5:
        raise RuntimeError(f"only {len(contacts)} demo contacts in {month}")
    when = datetime.now(UTC).isoformat()
    for i, contact in enumerate(contacts):
        base = {
            "interaction_id": contact["interaction_id"],
            "channel": contact["channel"],
            "agent": contact["agent_id"],
            "team": contact["team"],
        }
        rating = {**base, "rating": 1 + i % 5, "rated_at": when}
        client.call("POST", "/api/v1/agent-ratings", "write", json=rating)
        for monitor, shift in (("M1", 0), ("M2", 1)):
            score = min(10, (i * 3) % 10 + shift)
            item = {"key": "k1", "score": score, "max": 10, "weight": 1.0}
            body = {
                **base,
                "monitor_id": monitor,
                "scored_at": when,
                "form": {"id": "f", "version": 1},
                "items": [item],
            }
            client.call("POST", "/api/v1/monitor-scores", "write", json=body)


def worker_rss(master_pid: int) -> tuple[int, float]:
    import psutil

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = psutil.Process(master_pid).children()
        if children:
            return children[0].pid, children[0].memory_info().rss / MB
        time.sleep(0.2)
    raise RuntimeError("no gunicorn worker")


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--services", default=",".join(SERVICES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target-mb", type=float, default=100.0)
    args = parse(parser)
    wanted = [s.strip() for s in args.services.split(",") if s.strip()]

    db_proc, uri = start_db()
    tmp = tempfile.mkdtemp(prefix="bench-memory-")
    env = {
        "VOC_ENV": "development",
        "MONGO_URI": uri,
        "MONGO_DB": "bench_memory",
        "MONGO_RETRY_WRITES": "false",
        "SPOOL_DIR": os.path.join(tmp, "spool"),
        "METRICS_DIR": tmp,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "RATE_LIMIT_PUBLIC": "1000000/minute",
    }
    results = []
    try:
        keys, month, months = seed(uri, dict(os.environ, **env))
        mixes: dict[str, Callable[[Client], None]] = {
            "aggregator": lambda c: aggregator_mix(c, month, months),
            "web_survey": web_mix,
            "training_survey": training_mix,
            "ivr_survey": ivr_mix,
        }
        for service in wanted:
            # The IVR checks Twilio's signature against the URL it was called at.
            service_env = {
                k: v for k, v in env.items() if service != "ivr_survey" or k != "PUBLIC_BASE_URL"
            }
            proc, port = start_gunicorn(f"{service}:create_app()", service_env, workers=1)
            try:
                client = Client(port, keys)
                deadline = time.monotonic() + 30
                while True:
                    try:
                        client.get("/healthz", None)
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
                pid, startup = worker_rss(proc.pid)
                if service == "aggregator":
                    quality_data(client, month, uri, env)
                for _ in range(args.rounds):
                    mixes[service](client)
                _, after = worker_rss(proc.pid)
                ratio = after / args.target_mb
                verdict = "PASS" if ratio <= 1.0 else "FAIL"
                results.append(verdict)
                say(
                    f"{service:16s} worker {pid}: RSS {startup:6.1f} MB after startup, "
                    f"{after:6.1f} MB after {args.rounds} rounds of its request mix; "
                    f"target <= {args.target_mb:.0f} MB: ratio {ratio:.2f} {verdict}"
                )
            finally:
                stop(proc)
    finally:
        stop(db_proc)
    say(f"{results.count('PASS')}/{len(results)} services within the target")


if __name__ == "__main__":
    main()
