"""The realistic load mix behind `make soak` (bench/soak.py) and `make faults` (bench/faults.py).

`Stack` starts what `make run` starts, on free loopback ports and a fresh SecantusDB in a
temporary directory: the database, the four services under gunicorn (deploy/gunicorn.conf.py,
2 workers x 4 threads each) and the folding worker (`python -m ops.cli worker`), all sharing one
SPOOL_DIR; it creates admin, write and read API keys and a few trainers.

`Mix` plays the people and systems that use them, one flow at a time:

- IVR calls (40% of requests): /ivr/voice, a keypad answer per question (now and then an
  invalid key first), the spoken comment's <Record> action, Twilio's transcription (English),
  the status callback; every request signed as Twilio signs it; a few callers hang up midway.
  Half the calls name the contact they are about (`interaction=`), so the status callback
  reaches the response through its CallSid alias.
- Web survey links (15%): the contact centre creates an invitation (write key), the customer
  opens the page and posts the form (with the page's CSRF token).
- Chat widget (10%): invitation, GET /api/v1/responses/<token>, POST /api/v1/responses.
- Training (15%): a session with 3-6 trainees (write key); each trainee evaluates through the
  page or the platform's API.
- Complaints (8%): POST /api/v1/complaints from a ticketing system.
- Reports (12%): the aggregator's monthly, breakdown, funnel, ranking, complaints report,
  alerts and follow-ups (read key).

Customers and trainees come from many loopback addresses (127.x.y.z: each flow binds its own
source address), as they would from the internet, so the per-address rate limits
(RATE_LIMIT_PUBLIC) apply as in production and never answer 429 to a realistic mix. Each
request opens its own connection. Flows start at a fixed rate (open loop): `Driver` starts
`rate / requests-per-flow` flows per second, whatever the answers; a flow's requests are
spaced by a short think time (a caller listening to a prompt, a customer reading a page).

With `retry=False` (soak) a failed request is an error and its flow stops. With `retry=True`
(faults) every client retries as real ones do: Twilio retries a webhook on a 5xx, a timeout
or a refused connection; a browser or widget user resubmits after an error page; the
ticketing system and the learning platform retry their API calls (honouring Retry-After).
`Ledger` records what each client was told: an item (an IVR answer, a submission, an
evaluation, a complaint) is acknowledged only when a 2xx came back that says so (for an IVR
answer: TwiML whose next action carries the answer in its call state, or the thanks after the
comment).
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

import psutil  # noqa: E402
from _driver import ROOT, free_port, percentile  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from ops.devstack import end_processes, gunicorn_command, secantus_command, wait_for_port  # noqa: E402

TWILIO_TOKEN = "loadmix-twilio-auth-token"
PHONE_HASH_KEY = "loadmix-phone-hash-key"
SECRET_KEY = "loadmix-secret-key"
DB_NAME = "voc"
SERVICES = ("ivr_survey", "web_survey", "training_survey", "aggregator")
TIMEOUT_S = 15.0  # Twilio's webhook deadline; browsers wait longer, nobody here does
TRAINERS = [f"TR{n:02d}" for n in range(8)]
AGENTS = [f"A{n:02d}" for n in range(40)]
TEAMS = ["T1", "T2", "T3", "T4"]
REASONS = ["billing", "outage", "moving", "upgrade", "other"]
CATEGORIES = ["login", "payment", "reading", "general", "non-core", "campaign", "intermittent"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the stack -----------------------------------------------------------------------------


class Database:
    """One SecantusDB process on a fixed port and storage: stopped, killed and started again
    on both (faults), as devstack starts it (`secantus_command`)."""

    def __init__(self, storage: str, extra: list[str], log: Path) -> None:
        self.port = free_port()
        self.storage = storage
        self.extra = extra
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                secantus_command(self.port, self.storage, *self.extra),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for_port(self.port, 60):
            raise SystemExit(f"SecantusDB did not start on port {self.port} (log: {self.log})")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process with `sig` (SIGKILL: no shutdown at all) and wait for the port."""
        if self.proc is None:
            return
        end_processes([self.proc], sig, 20)
        self.proc = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)


class Stack:
    """The database, the four services under gunicorn and the folding worker, in `tmp`."""

    def __init__(
        self,
        db_options: list[str] | None = None,
        gunicorn_workers: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="voc-loadmix-"))
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.spool = self.tmp / "spool"
        self.db = Database(str(self.tmp / "secantus"), db_options or [], self.logs / "secantus.log")
        self.gunicorn_workers = gunicorn_workers
        self.extra_env = extra_env or {}
        self.services: dict[str, tuple[subprocess.Popen, int]] = {}
        self.worker: subprocess.Popen | None = None
        self.keys: dict[str, str] = {}
        self._client: Any = None

    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            MONGO_URI=self.db.uri,
            MONGO_DB=DB_NAME,
            VOC_ENV="development",
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
            PHONE_HASH_KEY=PHONE_HASH_KEY,
            SECRET_KEY=SECRET_KEY,
            SPOOL_DIR=str(self.spool),
            METRICS_DIR=str(self.tmp),
            LOG_LEVEL="WARNING",
            PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'services'}",
            **self.extra_env,
        )

    def database(self) -> Any:
        """The harness's own database handle (its client names no application, so a fail
        point scoped to the services' `appName` never fails the harness's reads)."""
        if self._client is None:
            from pymongo import MongoClient

            self._client = MongoClient(self.db.uri, serverSelectionTimeoutMS=30_000, tz_aware=True)
        return self._client[DB_NAME]

    def start(self) -> None:
        from ops.database import init_database
        from survey_core.web.auth import create_key

        say(f"stack in {self.tmp}: SecantusDB on port {self.db.port}...")
        self.db.start()
        db = self.database()
        init_database(db)
        for scope in ("admin", "write", "read"):
            self.keys[scope], _ = create_key(db, f"loadmix-{scope}", scope)
        for package in SERVICES:
            self.services[package] = self._gunicorn(package)
        self.start_worker()
        for trainer in TRAINERS:
            body = {"id": trainer, "name": f"Trainer {trainer}", "team": random.choice(TEAMS)}
            status, data = self.call("training_survey", "POST", "/api/v1/trainers", body, "admin")
            if status != 201:
                raise SystemExit(f"POST /api/v1/trainers: {status} {data[:300]!r}")
        ports = ", ".join(f"{name} :{port}" for name, (_, port) in self.services.items())
        say(f"started: {ports}, worker pid {self.worker.pid if self.worker else '-'}")

    def _gunicorn(self, package: str) -> tuple[subprocess.Popen, int]:
        """As bench/_driver.start_gunicorn, with the logs kept (a failure must be explained)."""
        port = free_port()
        env = dict(self.env(), BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(self.gunicorn_workers))
        with open(self.logs / f"{package}.log", "ab") as out:
            proc = subprocess.Popen(
                gunicorn_command(f"{package}:create_app()"),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for_port(port, 60):
            raise SystemExit(f"{package} did not start (log: {self.logs / (package + '.log')})")
        return proc, port

    def start_worker(self) -> None:
        with open(self.logs / "worker.log", "ab") as out:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "ops.cli", "worker"],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def port(self, package: str) -> int:
        return self.services[package][1]

    def call(
        self, package: str, method: str, path: str, body: Any = None, key: str | None = None
    ) -> tuple[int, bytes]:
        """One JSON request from the harness itself (set-up, final checks)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port(package), timeout=60)
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {self.keys[key]}"
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def processes(self) -> dict[str, psutil.Process]:
        """Every process of the stack by a stable label: `<service> master`, `<service> w<pid>`
        for each gunicorn worker, `worker`, `database` (and any child of the database)."""
        found: dict[str, psutil.Process] = {}

        def add(label: str, pid: int | None) -> psutil.Process | None:
            if pid is None:
                return None
            try:
                proc = psutil.Process(pid)
            except psutil.NoSuchProcess:
                return None
            found[label] = proc
            return proc

        for package, (proc, _) in self.services.items():
            master = add(f"{package} master", proc.pid)
            if master is not None:
                try:
                    for child in sorted(master.children(), key=lambda c: c.pid):
                        found[f"{package} w{child.pid}"] = child
                except psutil.NoSuchProcess:
                    pass
        add("worker", self.worker.pid if self.worker else None)
        db = add("database", self.db.proc.pid if self.db.proc else None)
        if db is not None:
            try:
                for child in db.children(recursive=True):
                    found[f"database child {child.pid}"] = child
            except psutil.NoSuchProcess:
                pass
        return found

    def rss(self) -> dict[str, int]:
        out = {}
        for label, proc in self.processes().items():
            try:
                out[label] = proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return out

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) so far of each process group: each service (master and
        workers), `worker`, `database`."""
        out: dict[str, float] = defaultdict(float)
        for label, proc in self.processes().items():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            out[label.split(" ")[0]] += times.user + times.system
        return dict(out)

    def backlog(self) -> dict[str, Any]:
        """The folding worker's backlog: events past the watermark, its lag, the spool."""
        db = self.database()
        state = db.fold_state.find_one({"_id": "events"}) or {}
        upto = state.get("upto")
        query = {"at": {"$gte": upto}} if upto else {}
        return {
            "unfolded": db.events.count_documents(query),
            "lag_s": (datetime.now(UTC) - upto).total_seconds() if upto else None,
            "spooled": len(list(self.spool.glob("[0-9]*.json"))) if self.spool.exists() else 0,
        }

    def data_size(self) -> int:
        """Bytes the database's storage directory holds."""
        total = 0
        for path in Path(self.db.storage).rglob("*"):
            try:
                total += path.stat().st_size if path.is_file() else 0
            except OSError:
                pass
        return total

    def stop(self) -> None:
        procs = [p for p, _ in self.services.values()] + ([self.worker] if self.worker else [])
        end_processes(procs, wait_s=15)
        if self._client is not None:
            self._client.close()
        self.db.stop()


def rss_line(rss: dict[str, int], data: int | None = None) -> str:
    """`ivr m25 w52/52 | web ... | worker 43 | db 107 (data 35)` (MB; `data`: the database's
    files)."""
    short = {"ivr_survey": "ivr", "web_survey": "web", "training_survey": "training"}
    parts = []
    for package in SERVICES:
        master = rss.get(f"{package} master")
        workers = [v for k, v in sorted(rss.items()) if k.startswith(f"{package} w")]
        mb = "/".join(f"{w / 2**20:.0f}" for w in workers) or "-"
        m = f"{master / 2**20:.0f}" if master else "-"
        parts.append(f"{short.get(package, package)} m{m} w{mb}")
    parts.append(f"worker {rss.get('worker', 0) / 2**20:.0f}")
    db = rss.get("database", 0) + sum(v for k, v in rss.items() if k.startswith("database child"))
    parts.append(f"db {db / 2**20:.0f}" + (f" (data {data / 2**20:.0f})" if data else ""))
    return "RSS MB: " + " | ".join(parts)


class Usage:
    """CPU use between two calls: the machine's (every core, anyone's) and each of ours."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.machine = self._machine()
        self.last = stack.cpu_seconds()
        self.at = time.monotonic()

    @staticmethod
    def _machine() -> tuple[float, float]:
        """(busy, total) CPU seconds of the machine (psutil.cpu_percent keeps its state per
        thread, and the minutes are reported from another thread)."""
        times = psutil.cpu_times()
        total = sum(times)
        return total - times.idle - getattr(times, "iowait", 0.0), total

    def line(self) -> str:
        (busy0, total0), (busy1, total1) = self.machine, self._machine()
        self.machine = (busy1, total1)
        machine = (busy1 - busy0) / (total1 - total0) * 100 if total1 > total0 else 0.0
        now, at = self.stack.cpu_seconds(), time.monotonic()
        cores = psutil.cpu_count() or 1
        span = (at - self.at) * cores
        # A restarted process (the database in `make faults`) starts counting from zero again.
        ours = {
            k: (v - self.last.get(k, 0.0) if v >= self.last.get(k, 0.0) else v) / span * 100
            for k, v in now.items()
        }
        self.last, self.at = now, at
        short = {"ivr_survey": "ivr", "web_survey": "web", "training_survey": "training"}
        parts = ", ".join(f"{short.get(k, k)} {v:.0f}" for k, v in sorted(ours.items()))
        load = os.getloadavg()[0]
        return (
            f"CPU % of {cores} cores: machine {machine:.0f} (load {load:.1f}), ours "
            f"{sum(ours.values()):.0f}: {parts}"
        )


def backlog_line(backlog: dict[str, Any]) -> str:
    lag = backlog["lag_s"]
    return (
        f"fold backlog: {backlog['unfolded']} events, watermark lag "
        f"{'-' if lag is None else f'{lag:.0f} s'}, spool {backlog['spooled']}"
    )


# --- requests, statistics ------------------------------------------------------------------


@dataclass
class Reply:
    status: int  # 0: no answer (connection refused or reset, timeout)
    body: bytes
    headers: dict[str, str]
    latency: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    def json(self) -> Any:
        return json.loads(self.body)


class Stats:
    """Every request attempt: when it ended, how long it took, whether it was an error."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ends: list[float] = []
        self.lats: list[float] = []
        self.errors: list[tuple[float, str]] = []  # (end, what)
        self.retries = 0
        self.labels: Counter[str] = Counter()  # requests by what they were
        self.flows_started: Counter[str] = Counter()
        self.flows_done: Counter[str] = Counter()

    def add(self, end: float, latency: float, error: str | None, label: str = "") -> None:
        with self.lock:
            self.ends.append(end)
            self.lats.append(latency)
            self.labels[label] += 1
            if error:
                self.errors.append((end, error))

    def problem(self, what: str) -> None:
        """An error that is no request of its own (a page without its form, a harness bug)."""
        with self.lock:
            self.errors.append((time.monotonic(), what))

    def flow(self, name: str, done: bool) -> None:
        with self.lock:
            (self.flows_done if done else self.flows_started)[name] += 1

    def window(self, start: float, end: float) -> dict[str, Any]:
        with self.lock:
            lats = [lat for t, lat in zip(self.ends, self.lats, strict=True) if start <= t < end]
            errors = [what for t, what in self.errors if start <= t < end]
        return {
            "requests": len(lats),
            "rps": len(lats) / (end - start) if end > start else 0.0,
            "p50": percentile(lats, 0.5) * 1000,
            "p99": percentile(lats, 0.99) * 1000,
            "errors": len(errors),
            "kinds": Counter(errors),
        }


class Client:
    """One person or system: requests from one source address, each on its own connection,
    signed like Twilio for the IVR; with `retry`, retried as that client would."""

    def __init__(self, mix: Mix, address: str) -> None:
        self.mix = mix
        self.address = address

    def send(
        self,
        package: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        port = self.mix.stack.port(package)
        started = time.monotonic()
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=TIMEOUT_S, source_address=(self.address, 0)
        )
        try:
            conn.request(method, path, body, headers or {})
            response = conn.getresponse()
            data = response.read()
            reply = Reply(
                response.status, data, dict(response.getheaders()), time.monotonic() - started
            )
        except (OSError, http.client.HTTPException) as exc:
            reply = Reply(0, b"", {}, time.monotonic() - started, type(exc).__name__)
        finally:
            conn.close()
        return reply

    def request(
        self,
        package: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        label: str = "",
        good: tuple[int, ...] = (),
        judge: Any = None,
    ) -> Reply:
        """Send until the answer is final: with retries off, once. An answer is an error when
        it is not 2xx/3xx, or not in `good` when given, or `judge(reply)` names a problem."""
        attempts = self.mix.attempts if self.mix.retry else 1
        for attempt in range(1, attempts + 1):
            reply = self.send(package, method, path, body, headers)
            problem = None
            if reply.status == 0:
                problem = f"{label}: {reply.error}"
            elif good and reply.status not in good or not good and not reply.ok:
                problem = f"{label}: {reply.status}"
            elif judge is not None:
                problem = judge(reply)
                problem = f"{label}: {problem}" if problem else None
            self.mix.stats.add(time.monotonic(), reply.latency, problem, label)
            reply.error = problem
            retryable = reply.status == 0 or reply.status >= 500 or reply.status == 429
            if problem is None or not retryable or attempt == attempts or self.mix.stopping:
                return reply
            with self.mix.stats.lock:
                self.mix.stats.retries += 1
            wait = min(8.0, 2.0 ** (attempt - 1))
            retry_after = reply.headers.get("Retry-After")
            if retry_after and retry_after.isdigit():
                wait = min(10.0, float(retry_after))
            time.sleep(wait * random.uniform(0.7, 1.3))
        return reply  # pragma: no cover - the loop returns

    def json(
        self, package: str, method: str, path: str, body: Any, key: str | None, label: str
    ) -> Reply:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {self.mix.stack.keys[key]}"
        data = json.dumps(body).encode() if body is not None else None
        return self.request(package, method, path, data, headers, label)


# --- the ledger ----------------------------------------------------------------------------


@dataclass
class Item:
    """One thing a client told the service: an answer, a submission, a complaint."""

    kind: str  # ivr, invite, page, widget, training-page, training-api, complaint
    event_id: str  # the event (or complaint) it must have become
    expect: Any  # the value or answers it carried (None: the event itself)
    channel: str
    acknowledged: bool = False
    outcome: str = "pending"  # acknowledged, refused (4xx), gave-up, hung-up (trouble TwiML)


class Ledger:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, Item] = {}

    def add(self, item: Item) -> Item:
        with self.lock:
            if item.event_id in self.items:
                raise RuntimeError(f"ledger: {item.event_id} twice")
            self.items[item.event_id] = item
        return item

    def settle(self, item: Item, reply: Reply, acknowledged: bool) -> None:
        item.acknowledged = acknowledged
        if acknowledged:
            item.outcome = "acknowledged"
        elif reply.status == 0 or reply.status >= 500:
            item.outcome = "gave-up"
        elif 400 <= reply.status < 500:
            item.outcome = f"refused-{reply.status}"
        else:
            item.outcome = "hung-up"

    def counts(self) -> Counter[tuple[str, str]]:
        with self.lock:
            return Counter((i.kind, i.outcome) for i in self.items.values())


# --- the flows -----------------------------------------------------------------------------


# The default IVR survey's questions in order (a hidden one keeps its place in the count) and
# its low-score reason menu, as the keypad digits 1, 2, ... choose them.
IVR_QUESTIONS = ("csat", "nps", "low_score_reason", "ces", "consent", "comment")
IVR_REASONS = ("waiting", "unresolved", "attitude", "unclear", "transfers", "other")


def _state_of(action: str) -> dict[str, Any]:
    """The call state an IVR action URL carries (base64 JSON, signed by Twilio's signature)."""
    token = parse_qs(urlsplit(action).query)["state"][0]
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


class Mix:
    """The flows, their weights and the clients' behaviour (see the module's docstring)."""

    # (flow, share of requests, requests per flow on average)
    SHARES = (
        ("ivr", 0.40, 6.0),
        ("page", 0.15, 3.0),
        ("widget", 0.10, 3.0),
        ("training", 0.15, 6.6),
        ("complaint", 0.08, 1.0),
        ("report", 0.12, 1.0),
    )

    def __init__(
        self,
        stack: Stack,
        retry: bool,
        think_s: float = 1.0,
        seed: int = 1,
        attempts: int = 8,
    ) -> None:
        from ivr_survey.prompts import PHRASES

        self.stack = stack
        self.retry = retry
        self.think_s = think_s
        self.attempts = attempts
        self.stats = Stats()
        self.ledger = Ledger()
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.validator = RequestValidator(TWILIO_TOKEN)
        self.trouble = set(PHRASES["trouble"].values())
        self.stopping = False
        self.run_id = uuid.uuid4().hex[:6]
        self.counter = itertools.count()
        self.flows = {name: getattr(self, f"flow_{name}") for name, _, _ in self.SHARES}
        self.sessions: dict[str, int] = {}  # training sessions acknowledged: their rosters
        self.sessions_refused = 0

    # helpers

    def _rng(self) -> random.Random:
        with self.rng_lock:
            return random.Random(self.rng.getrandbits(64))

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{self.run_id}-{next(self.counter):07d}"

    def _think(self, rng: random.Random, scale: float = 1.0) -> None:
        if self.think_s > 0:
            time.sleep(self.think_s * scale * rng.uniform(0.5, 1.5))

    @staticmethod
    def _address(rng: random.Random) -> str:
        return f"127.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"

    def flow(self, name: str) -> None:
        rng = self._rng()
        self.stats.flow(name, done=False)
        try:
            self.flows[name](rng)
        except Exception as exc:  # noqa: BLE001 - a harness bug must show, not hang the run
            self.stats.problem(f"{name}: harness {type(exc).__name__}: {exc}")
            traceback.print_exc()
        finally:
            self.stats.flow(name, done=True)

    # IVR: Twilio

    def _twilio(self, client: Client, path: str, params: dict[str, str], label: str) -> Reply:
        base = f"http://127.0.0.1:{self.stack.port('ivr_survey')}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(base + path, params),
        }
        return client.request(
            "ivr_survey",
            "POST",
            path,
            urlencode(params).encode(),
            headers,
            label,
            (200,),
            judge=self._judge_twiml,
        )

    def _judge_twiml(self, reply: Reply) -> str | None:
        try:
            root = ET.fromstring(reply.body)
        except ET.ParseError:
            return "not TwiML"
        if any((node.text or "") in self.trouble for node in root.iter("Say")):
            return "trouble TwiML"
        return None

    def flow_ivr(self, rng: random.Random) -> None:
        twilio = Client(self, "127.0.0.1")
        sid = "CA" + uuid.uuid4().hex
        interaction = sid if rng.random() < 0.5 else self._id("CT")
        lang = rng.choice(["zh-CN", "en-US"])
        call = {
            "CallSid": sid,
            "From": f"+861{rng.randrange(10**9, 10**10)}",  # a new caller: not suppressed
            "To": "+15005550006",
            "Direction": "inbound",
        }
        query = {"agent": rng.choice(AGENTS), "team": rng.choice(TEAMS), "lang": lang}
        query["reason"] = rng.choice(REASONS)
        if interaction != sid:
            query["interaction"] = interaction
        reply = self._twilio(twilio, f"/ivr/voice?{urlencode(query)}", call, "ivr voice")
        hang_up_after = rng.choice([1, 2]) if rng.random() < 0.08 else 99
        answered = 0
        while reply.error is None:
            root = ET.fromstring(reply.body)
            gather, record = root.find("Gather"), root.find("Record")
            if answered >= hang_up_after or (gather is None and record is None):
                break
            self._think(rng)
            if gather is not None:
                action = gather.get("action") or ""
                state = _state_of(action)
                key = IVR_QUESTIONS[state["q"]]  # the default survey's, hidden ones included
                if key == "consent":  # yes to a recorded comment (1): the <Record> follows
                    item = self.ledger.add(Item("ivr", f"ivr:{interaction}:q:{key}", True, "ivr"))
                    reply = self._twilio(twilio, action, {**call, "Digits": "1"}, "ivr answer")
                    self.ledger.settle(item, reply, self._carries(reply, key, True))
                    continue
                if rng.random() < 0.05:  # a wrong key first: the question is asked again
                    wrong = {"csat": "9", "nps": "42", "ces": "7", "low_score_reason": "9"}[key]
                    reply = self._twilio(twilio, action, {**call, "Digits": wrong}, "ivr answer")
                    if reply.error is not None:
                        break
                    continue
                value = {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10)}.get(key)
                value = rng.randint(1, 5) if value is None else value
                digits = str(value)
                if key == "low_score_reason":  # a keypad menu: the option's value is stored
                    digits = str(rng.randint(1, len(IVR_REASONS)))
                    value = IVR_REASONS[int(digits) - 1]
                item = self.ledger.add(Item("ivr", f"ivr:{interaction}:q:{key}", value, "ivr"))
                reply = self._twilio(twilio, action, {**call, "Digits": digits}, "ivr answer")
                self.ledger.settle(item, reply, self._carries(reply, key, value))
                answered += 1
            else:
                if rng.random() < 0.3:
                    break  # no comment: Twilio skips the <Record> action, the call ends
                action = record.get("action") or ""
                url = f"https://api.twilio.com/recordings/RE{uuid.uuid4().hex}"
                seconds = rng.randint(3, 40)
                expect = {"url": url, "duration": seconds}
                item = self.ledger.add(Item("ivr", f"ivr:{interaction}:q:comment", expect, "ivr"))
                recording = {**call, "RecordingUrl": url, "RecordingDuration": str(seconds)}
                reply = self._twilio(twilio, action, recording, "ivr record")
                ended = reply.error is None and ET.fromstring(reply.body).find("Hangup") is not None
                self.ledger.settle(item, reply, ended)
                transcribe = record.get("transcribeCallback")
                if ended and transcribe:
                    self._think(rng, 0.5)
                    text = {
                        **call,
                        "TranscriptionStatus": "completed",
                        "TranscriptionText": "The agent was helpful and quick.",
                    }
                    self._twilio(twilio, transcribe, text, "ivr transcription")
                break
        self._think(rng, 0.3)
        status = {**call, "CallStatus": "completed", "CallDuration": str(rng.randint(30, 300))}
        self._twilio(twilio, "/ivr/status", status, "ivr status")

    @staticmethod
    def _carries(reply: Reply, key: str, value: Any) -> bool:
        """Did the TwiML acknowledge the answer: does its next action carry it?"""
        if reply.error is not None:
            return False
        root = ET.fromstring(reply.body)
        node = root.find("Gather")
        if node is None:
            node = root.find("Record")
        if node is None:
            return False
        return _state_of(node.get("action") or "").get("answers", {}).get(key) == value

    # the web survey: links from the contact centre, pages and the widget

    def _invite(self, rng: random.Random, channel: str) -> tuple[str, str, str] | None:
        system = Client(self, "127.0.0.1")
        interaction = self._id("W")
        body = {
            "channel": channel,
            "interaction_id": interaction,
            "agent": rng.choice(AGENTS),
            "team": rng.choice(TEAMS),
            "reason": rng.choice(REASONS),
            "lang": rng.choice(["zh-CN", "en-US"]),
        }
        item = self.ledger.add(Item("invite", f"{channel}:{interaction}:invite", None, channel))
        reply = system.json("web_survey", "POST", "/api/v1/invitations", body, "write", "invite")
        self.ledger.settle(item, reply, reply.status in (200, 201))
        if reply.error is not None or reply.status not in (200, 201):
            return None
        made = reply.json()
        return interaction, made["token"], urlsplit(made["url"]).path

    @staticmethod
    def _web_answers(rng: random.Random) -> dict[str, Any]:
        answers: dict[str, Any] = {
            "csat": rng.randint(1, 5),
            "nps": rng.randint(0, 10),
            "ces": rng.randint(1, 5),
        }
        if rng.random() < 0.4:
            answers["comment"] = rng.choice(
                ["Quick and friendly.", "Took too long.", "谢谢，很满意。", "Solved at once."]
            )
        return answers

    def _page(
        self, rng: random.Random, package: str, path: str, rid: str, channel: str, kind: str
    ) -> None:
        """A person opens a questionnaire page and posts the form (resubmitting after an
        error page when retries are on)."""
        person = Client(self, self._address(rng))
        page = person.request(package, "GET", path, label=f"{kind} GET", good=(200,))
        if page.error is not None:
            return
        found = CSRF.search(page.body.decode())
        if found is None:
            self.stats.problem(f"{kind} GET: no CSRF token")
            return
        self._think(rng, 2.0)
        if package == "web_survey":
            answers = self._web_answers(rng)
        else:
            answers = self._evaluation(rng)
        # A low score opens the default web survey's second step: the reason, asked next.
        low = package == "web_survey" and (answers["csat"] <= 2 or answers["nps"] <= 6)
        expected = {**answers, "low_score_reason": rng.choice(IVR_REASONS)} if low else answers
        item = self.ledger.add(Item(kind, f"{rid}:submit", expected, channel))
        form = {"csrf_token": found.group(1), **{k: str(v) for k, v in answers.items()}}
        port = self.stack.port(package)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://127.0.0.1:{port}",
        }
        reply = person.request(
            package, "POST", path, urlencode(form).encode(), headers, f"{kind} POST", (200,)
        )
        if low and reply.error is None and reply.status == 200:
            step = CSRF.search(reply.body.decode())
            if step is None or b'name="step" value="2"' not in reply.body:
                self.stats.problem(f"{kind} POST: a low score without the reason's step")
                self.ledger.settle(item, reply, False)
                return
            self._think(rng, 1.0)
            form = {**{k: str(v) for k, v in expected.items()}, "csrf_token": step.group(1)}
            form["step"] = "2"
            reply = person.request(
                package, "POST", path, urlencode(form).encode(), headers, f"{kind} POST", (200,)
            )
        self.ledger.settle(item, reply, reply.status == 200)

    def flow_page(self, rng: random.Random) -> None:
        channel = rng.choice(["email", "sms", "web"])
        made = self._invite(rng, channel)
        if made is None:
            return
        interaction, _, path = made
        self._think(rng, 2.0)
        self._page(rng, "web_survey", path, f"{channel}:{interaction}", channel, "page")

    def flow_widget(self, rng: random.Random) -> None:
        made = self._invite(rng, "chat")
        if made is None:
            return
        interaction, token, _ = made
        person = Client(self, self._address(rng))
        self._think(rng)
        shown = person.request(
            "web_survey", "GET", f"/api/v1/responses/{token}", label="widget GET"
        )
        if shown.error is not None:
            return
        self._think(rng, 2.0)
        answers = self._web_answers(rng)
        item = self.ledger.add(Item("widget", f"chat:{interaction}:submit", answers, "chat"))
        body = {"token": token, "answers": answers}
        reply = person.json("web_survey", "POST", "/api/v1/responses", body, None, "widget POST")
        self.ledger.settle(item, reply, reply.status == 201)

    # training: the learning platform and its trainees

    @staticmethod
    def _evaluation(rng: random.Random) -> dict[str, Any]:
        base = rng.randint(2, 5)
        answers: dict[str, Any] = {
            k: max(1, min(5, base + rng.choice([-1, 0, 0, 1])))
            for k in ("communication", "clarity", "interaction", "overall")
        }
        if rng.random() < 0.7:
            answers["recommend"] = rng.randint(0, 10)
        if rng.random() < 0.3:
            answers["comment"] = rng.choice(["Clear examples.", "Too fast.", "讲得很好。"])
        return answers

    def flow_training(self, rng: random.Random) -> None:
        from survey_core.responses.hashing import trainee_key

        platform = Client(self, "127.0.0.1")
        trainees = [self._id("E") for _ in range(rng.randint(3, 6))]
        body = {
            "trainer_id": rng.choice(TRAINERS),
            "topic": rng.choice(["Billing basics", "Empathy", "New tariffs", "Escalations"]),
            "held_at": datetime.now(UTC).isoformat(),
            "language": rng.choice(["zh-CN", "en-US"]),
            "trainees": trainees,
        }
        reply = platform.json(
            "training_survey", "POST", "/api/v1/sessions", body, "write", "session"
        )
        if reply.error is not None:
            with self.ledger.lock:
                self.sessions_refused += 1
            return
        made = reply.json()
        session = made["session_id"]
        with self.ledger.lock:
            self.sessions[session] = len(trainees)
        for link in made["links"]:
            self._think(rng, 2.0)
            if rng.random() < 0.15:
                continue  # this trainee never answers
            hashed = trainee_key(session, link["trainee_id"], PHONE_HASH_KEY)
            rid = f"training:{session}.{hashed[:32]}"
            if rng.random() < 0.5:
                path = urlsplit(link["url"]).path
                self._page(rng, "training_survey", path, rid, "training", "training-page")
                continue
            trainee = Client(self, self._address(rng))
            answers = self._evaluation(rng)
            item = self.ledger.add(Item("training-api", f"{rid}:submit", answers, "training"))
            body = {"token": link["token"], "answers": answers}
            reply = trainee.json(
                "training_survey", "POST", "/api/v1/evaluations", body, None, "evaluation"
            )
            self.ledger.settle(item, reply, reply.status == 201)

    # complaints and reports

    def flow_complaint(self, rng: random.Random) -> None:
        system = Client(self, "127.0.0.1")
        external = self._id("TICKET")
        occurred = datetime.now(UTC) - timedelta(minutes=rng.randint(0, 120))
        body = {
            "source": "loadmix",
            "external_id": external,
            "category": rng.choice(CATEGORIES),
            "occurred_at": occurred.isoformat(),
            "channel": rng.choice(["ivr", "chat", "email"]),
            "agent": rng.choice(AGENTS),
            "team": rng.choice(TEAMS),
        }
        item = self.ledger.add(Item("complaint", f"loadmix:{external}", body, "-"))
        reply = system.json("aggregator", "POST", "/api/v1/complaints", body, "write", "complaint")
        self.ledger.settle(item, reply, reply.status in (200, 201))

    def flow_report(self, rng: random.Random) -> None:
        reader = Client(self, "127.0.0.1")
        month = datetime.now(UTC).strftime("%Y-%m")
        first = (datetime.now(UTC).replace(day=1) - timedelta(days=60)).strftime("%Y-%m")
        path = rng.choice(
            [
                f"/api/v1/metrics/monthly?from={first}&to={month}",
                f"/api/v1/metrics/monthly?from={first}&to={month}&channel=ivr",
                f"/api/v1/metrics/breakdown?month={month}&by=agent",
                f"/api/v1/metrics/breakdown?month={month}&by=channel",
                f"/api/v1/funnel?month={month}",
                f"/api/v1/trainers/ranking?month={month}",
                f"/api/v1/complaints/report?month={month}&by=category",
                "/api/v1/alerts?status=open",
                "/api/v1/follow-ups?overdue=true",
            ]
        )
        reader.json("aggregator", "GET", path, None, "read", "report")


# --- the driver ----------------------------------------------------------------------------


class Driver:
    """Starts flows at a fixed rate, so that requests arrive at about `rate` per second, for
    `seconds`; calls `on_minute(index, start, end)` at the end of each minute (in its own
    thread, so a slow sample never delays the load)."""

    def __init__(self, mix: Mix, rate: float, threads: int = 400) -> None:
        self.mix = mix
        self.rate = rate
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="flow")
        per_flow = sum(share * n for _, share, n in mix.SHARES)
        # Each flow kind's share of *flows*, so that its share of *requests* is as listed.
        self.weights = [share for _, share, _ in mix.SHARES]
        self.names = [name for name, _, _ in mix.SHARES]
        self.flows_per_s = rate / per_flow
        self.backlog_peak = 0

    def run(self, seconds: float, on_minute: Any) -> float:
        rng = random.Random(7)
        start = time.monotonic()
        end = start + seconds
        minute_marks = [start + 60 * (k + 1) for k in range(int(seconds // 60))]
        stop = threading.Event()

        def reporter() -> None:
            for k, mark in enumerate(minute_marks):
                if stop.wait(max(0.0, mark - time.monotonic())):
                    return
                on_minute(k + 1, mark - 60, mark)

        thread = threading.Thread(target=reporter, daemon=True)
        thread.start()
        next_at = start
        interval = 1.0 / self.flows_per_s
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if now < next_at:
                time.sleep(min(next_at - now, end - now))
                continue
            name = rng.choices(self.names, self.weights)[0]
            self.pool.submit(self.mix.flow, name)
            backlog = self.pool._work_queue.qsize()
            self.backlog_peak = max(self.backlog_peak, backlog)
            next_at += interval
        thread.join()
        stop.set()
        return start

    def finish(self, timeout: float = 180.0) -> bool:
        """Wait for the flows under way (each finishes its requests, retries included)."""
        deadline = time.monotonic() + timeout
        done = False
        while time.monotonic() < deadline:
            with self.mix.stats.lock:
                started = sum(self.mix.stats.flows_started.values())
                finished = sum(self.mix.stats.flows_done.values())
            if started == finished and self.pool._work_queue.qsize() == 0:
                done = True
                break
            time.sleep(0.5)
        self.mix.stopping = not done
        self.pool.shutdown(wait=done)
        return done


# --- what was stored and counted -----------------------------------------------------------

SCORE_TYPES = ("csat", "nps", "ces")


def counters_from_events(db: Any) -> tuple[dict[str, Counter[str]], set[str]]:
    """Per channel, the score histograms, the completions (submissions) and the responses
    offered (links sent, calls that entered the survey) the stored events say, counting each
    response once (independently of the worker's folding code); and the rids submitted."""
    scores: dict[str, dict[str, Any]] = defaultdict(dict)  # rid -> {counter family: value}
    channel_of: dict[str, str] = {}
    submitted: set[str] = set()
    query = {"kind": {"$in": ["answer", "submit"]}}
    wanted = {"rid": 1, "kind": 1, "key": 1, "qtype": 1, "value": 1, "answers": 1, "qtypes": 1}
    for ev in db.events.find(query, {**wanted, "meta.channel": 1}):
        rid = ev["rid"]
        channel_of[rid] = ev["meta"]["channel"]
        if ev["kind"] == "answer":
            pairs = [(ev.get("key"), ev.get("qtype"), ev.get("value"))]
        else:
            submitted.add(rid)
            types = ev.get("qtypes") or {}
            pairs = [(k, types.get(k), v) for k, v in (ev.get("answers") or {}).items()]
        for key, qtype, value in pairs:
            if qtype in SCORE_TYPES:
                scores[rid][qtype] = value
            elif qtype == "rating":
                scores[rid][f"ratings.{key}"] = value
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for rid, found in scores.items():
        for family, value in found.items():
            out[channel_of[rid]][f"{family}.{int(value)}"] += 1
    for rid in submitted:
        out[channel_of[rid]]["funnel.complete"] += 1
    # Offered: a link sent (invite), or a call that entered the survey (its open event).
    offered = {"$or": [{"kind": "invite"}, {"kind": "open", "meta.channel": "ivr"}]}
    for ev in db.events.find(offered, {"meta.channel": 1}):
        out[ev["meta"]["channel"]]["funnel.offered"] += 1
    return out, submitted


def counters_in_rollups(db: Any) -> dict[str, Counter[str]]:
    """Per channel, the same counters as the rollups hold them (every month)."""
    from survey_core.rollups.layout import counters_of

    out: dict[str, Counter[str]] = defaultdict(Counter)
    # Customers count under their channel; training evaluations only under their session
    # (customer figures never include them), so the training channel is the sessions' sum.
    for doc in db.rollups.find({"dim": {"$in": ["channel", "session"]}}):
        channel = "training" if doc["dim"] == "session" else doc["value"]
        for name, count in counters_of(doc).items():
            if (
                name.split(".")[0] in (*SCORE_TYPES, "ratings")
                or name == "funnel.offered"
                or (name == "funnel.complete" and channel != "ivr")  # calls submit nothing
            ):
                out[channel][name] += count
    return out
