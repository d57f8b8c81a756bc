"""Every query a request makes names its collection's shard key, so that on a sharded cluster
mongos sends it to the shard(s) holding the data and never scatters it to every shard.

The shard keys are `survey_core.storage.sharding.SHARD_KEYS`. A command listener sits on the
MongoClient the apps get from `survey_core.storage.client` (a client made for this test: the
production options plus the listener), every endpoint of every service is called, and each
find / count / distinct / aggregate / update / delete / findAndModify sent while a request was
being handled is checked: on a sharded collection its filter must constrain the shard key by
equality or `$in` (possibly inside `$and`, or in every branch of an `$or`). Inserts go to the
shard of the document's own key. The worker's steps (fold, follow-up queue, idle closes,
rebuild) run between requests: their reads may scatter (batch work, deploy/SCALING.md), but
their single-document writes and upserts must name the shard key too, or mongos refuses them.
"""

from __future__ import annotations

import copy
import functools
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import has_request_context, request, request_started
from pymongo import MongoClient, monitoring

import aggregator
import ivr_survey
import training_survey
import web_survey
from survey_core.follow_ups.store import drain_queue
from survey_core.months import month_of
from survey_core.responses.idle import settle_idle
from survey_core.rollups.rebuild import rebuild
from survey_core.settings import WorkerSettings
from survey_core.storage import client as mongo
from survey_core.storage.breaker import breaker
from survey_core.storage.indexes import INDEXES
from survey_core.storage.sharding import SHARD_KEYS, sharded
from tests.ivr_survey.twilio_sim import Call
from tests.pipeline import fold
from tests.standins import standin, twilio_responder

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"

# The request-path queries that do go to every shard (deploy/SCALING.md, "Queries that still go
# to every shard"): each returns a few documents per shard, once per report, scrape or dashboard
# view. Keyed by (collection, the service function that sends it); each must still be seen.
ALLOWED_SCATTERS = {
    ("events", "survey_core/folding/reads.py:unfolded"): (
        "a report adds the events past the folding watermark: a few seconds' worth, "
        "from each shard's `at` index"
    ),
    ("events", "survey_core/web/metrics.py:collect"): (
        "a Prometheus scrape counts the unfolded events: each shard counts its own from its "
        "`at` index, once per scrape"
    ),
    ("responses", "survey_core/privacy/requests.py:response_ids"): (
        "an access or erasure request finds its subject's responses by keyed hash or interaction "
        "id on every shard: rare admin requests"
    ),
    ("events", "survey_core/privacy/requests.py:response_ids"): (
        "an access or erasure request finds its subject's unfolded events the same way"
    ),
    ("events", "survey_core/folding/batch.py:_batch"): (
        "an erasure first folds what is not folded yet (the worker's batch read by `at`, from "
        "each shard's index): rare admin requests"
    ),
    ("responses", "survey_core/responses/reads.py:sampling_frame"): (
        "a QA sample (API, dashboard page, an agent's page) reads the month's customer "
        "responses on every shard: a monitor's request, a few times a day"
    ),
    ("responses", "survey_core/responses/reads.py:rows"): (
        "rows for reporting tools page through the months' responses by `_id` on every "
        "shard: an export, paged"
    ),
    ("responses", "survey_core/responses/comments.py:page_of_comments"): (
        "the dashboard's comment list, a page of twenty of a month's comments by band and "
        "dimension: each shard sends its page, once per page view"
    ),
    ("responses", "survey_core/responses/reads.py:newest_comments"): (
        "the dashboard's ten newest comments of a month: each shard sends its ten, once per "
        "dashboard view"
    ),
}
FILTERED = (
    "find",
    "count",
    "distinct",
    "aggregate",
    "update",
    "delete",
    "findAndModify",
    "bulkWrite",
)
WRITES = ("update", "delete", "findAndModify", "bulkWrite")


@dataclass(frozen=True)
class Query:
    collection: str
    command: str
    filter: dict[str, Any]
    site: str  # the innermost service function that sent it
    endpoint: str | None  # the request's endpoint; None between requests (the worker)
    single: bool = False  # a write that must find one document (not multi), or an upsert


def _site() -> str:
    """`path:function` of the innermost function in services/ (comprehensions are their
    function's), else of anything but pymongo."""
    frames = traceback.extract_stack()[:-2]
    for frame in reversed(frames):
        path = Path(frame.filename)
        if SERVICES in path.parents and not frame.name.startswith("<"):
            return f"{path.relative_to(SERVICES).as_posix()}:{frame.name}"
    for frame in reversed(frames):
        if "pymongo" not in frame.filename and "test_shard_keys" not in frame.filename:
            return f"{frame.filename}:{frame.name}"
    return "?"


def _filters(name: str, command: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(collection, filter, single) of each statement of a command."""
    collection = command[name]
    if name == "bulkWrite":  # across collections: each op names its namespace by index
        spaces = [ns["ns"].split(".", 1)[1] for ns in command.get("nsInfo", [])]
        for op in command.get("ops", []):
            if "update" in op:
                single = bool(op.get("upsert") or not op.get("multi"))
                yield spaces[op["update"]], op.get("filter") or {}, single
            elif "delete" in op:
                yield spaces[op["delete"]], op.get("filter") or {}, not op.get("multi")
    elif name == "find":
        yield collection, command.get("filter") or {}, False
    elif name in ("count", "distinct"):
        yield collection, command.get("query") or {}, False
    elif name == "findAndModify":
        yield collection, command.get("query") or {}, True
    elif name == "update":
        for u in command.get("updates", []):
            yield collection, u.get("q") or {}, bool(u.get("upsert") or not u.get("multi"))
    elif name == "delete":
        for d in command.get("deletes", []):
            yield collection, d.get("q") or {}, d.get("limit") == 1
    elif name == "aggregate" and isinstance(collection, str):
        pipeline = command.get("pipeline") or []
        first = pipeline[0] if pipeline else {}
        yield collection, first.get("$match", {}), False
        for stage in pipeline:  # another collection read by a stage: all of it, say
            for op in ("$lookup", "$graphLookup", "$unionWith"):
                joined = stage.get(op)
                if joined is not None:
                    yield (joined if isinstance(joined, str) else joined.get("from")), {}, False


class Recorder(monitoring.CommandListener):
    """Every filtered command sent, with where from and during which request."""

    def __init__(self) -> None:
        self.queries: list[Query] = []
        self.endpoints: set[tuple[str, str]] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in FILTERED:
            return
        endpoint = request.endpoint if has_request_context() else None
        site = _site()
        for collection, where, single in _filters(event.command_name, event.command):
            self.queries.append(
                Query(collection, event.command_name, copy.deepcopy(where), site, endpoint, single)
            )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def request_started(self, sender, **_: Any) -> None:
        self.endpoints.add((sender.config["SERVICE_NAME"], str(request.endpoint)))


def _is_operator_free(value: Any) -> bool:
    return not isinstance(value, dict) or not any(str(k).startswith("$") for k in value)


def targets(where: dict[str, Any], field: str, equality_only: bool = False) -> bool:
    """Does `where` pin `field` to one value or a list of values (so mongos can route it)?"""
    if field in where:
        value = where[field]
        if _is_operator_free(value) or "$eq" in value:
            return True
        if "$in" in value and not equality_only:
            return True
    if any(targets(sub, field, equality_only) for sub in where.get("$and", [])):
        return True
    branches = where.get("$or")
    return bool(branches) and all(targets(sub, field, equality_only) for sub in branches)


def key_field(collection: str) -> str:
    (field,) = SHARD_KEYS[collection] or {}  # one-field keys only, so far
    return field


def test_targets_reads_equality_and_in_on_the_key():
    assert targets({"rid": "web:T1"}, "rid")
    assert targets({"_id": {"$in": ["a", "b"]}, "status": "complete"}, "_id")
    assert targets({"$and": [{"month": "2026-10"}, {"rid": {"$eq": "x"}}]}, "rid")
    assert targets({"$or": [{"_id": "a"}, {"_id": {"$in": ["b"]}}]}, "_id")
    assert not targets({"$or": [{"_id": "a"}, {"month": "2026-10"}]}, "_id")
    assert not targets({"at": {"$gte": 1}}, "rid")
    assert not targets({"rid": {"$gt": "a"}}, "rid")
    assert not targets({"_id": {"$in": ["a"]}}, "_id", equality_only=True)


@pytest.fixture
def recorder(db, monkeypatch) -> Iterator[Recorder]:
    """Apps made from now on get a client (per URI, as in production) that reports to it."""
    found = Recorder()
    monkeypatch.setattr(mongo, "_clients", {})
    monkeypatch.setattr(
        mongo, "MongoClient", functools.partial(MongoClient, event_listeners=[found])
    )
    request_started.connect(found.request_started)
    breaker.reset()
    yield found
    request_started.disconnect(found.request_started)
    for made in mongo._clients.values():
        made.close()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _ok(response, *codes: int):
    assert response.status_code in (codes or (200,)), (
        response.status_code,
        response.get_data(as_text=True)[:500],
    )
    return response


def _common(client, headers: dict[str, str]) -> None:
    """Health, readiness, metrics and the API documents: every service has them."""
    for path in ("/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/docs"):
        _ok(client.get(path, headers=headers))


def _surveys_api(client, admin: dict[str, str], slug: str) -> None:
    _ok(client.get("/api/v1/surveys", headers=admin))
    survey = _ok(client.get(f"/api/v1/surveys/{slug}", headers=admin)).get_json()
    edit = {k: v for k, v in survey.items() if k not in ("version", "created_at")}
    _ok(client.put(f"/api/v1/surveys/{slug}", json=edit, headers=admin))
    _ok(client.post("/api/v1/surveys", json={**edit, "slug": f"{slug}-2"}, headers=admin), 201)


def ivr_calls(config: dict[str, Any], db, keys: dict[str, dict[str, str]]) -> None:
    with standin(twilio_responder) as (twilio_url, _):
        app = ivr_survey.create_app(
            {**config, "TWILIO_API_BASE_URL": twilio_url, "TWILIO_FROM_NUMBER": "+15005550006"}
        )
        client = app.test_client()
        _common(client, {})
        _surveys_api(client, keys["admin"], "post-call")
        # A whole call, with a replay, a second different answer, a re-entry and a transcript.
        c = Call(client, sid="CA1", query="agent=A17&team=north&reason=billing&lang=en-US")
        _ok(c.start())
        _ok(c.press("5"))
        _ok(c.replay())
        url, _ = c.last_request
        _ok(c.post(url, {"Digits": "1"}))  # refused: the question is answered
        _ok(c.start())  # the call re-enters: where it stands is read from its events
        _ok(c.press("10"))
        _ok(c.press("2"))
        _ok(c.press("1"))  # consents to a recorded comment
        transcribe = c.twiml.find("Record").get("transcribeCallback")
        _ok(c.record())
        _ok(c.post(transcribe, {"TranscriptionText": "kind", "TranscriptionStatus": "completed"}))
        _ok(c.hang_up())
        # A call about another contact (its CallSid an alias), left early.
        other = Call(client, sid="CA2", caller="+8613900000002", query="interaction=TICKET-9")
        _ok(other.start())
        _ok(other.press("3"))
        _ok(other.hang_up())
        fold(db)
        # The same caller again: suppressed (the look-up finds the caller's last survey).
        _ok(Call(client, sid="CA3").start())
        # A call-back through Twilio's API.
        body = {"to": "+8613800138001", "agent": "A2", "interaction": "TICKET-10"}
        _ok(client.post("/api/v1/callbacks", json=body, headers=keys["admin"]), 202)


def web_surveys(config: dict[str, Any], db, keys: dict[str, dict[str, str]]) -> None:
    client = web_survey.create_app(config).test_client()
    _common(client, {})
    _surveys_api(client, keys["admin"], "post-contact")
    writer = keys["write"]

    def invite(interaction: str, **extra: Any) -> dict[str, Any]:
        body = {"channel": "chat", "interaction_id": interaction, "agent": "A1", **extra}
        return _ok(client.post("/api/v1/invitations", json=body, headers=writer), 200, 201)

    first = invite("W1", team="north", reason="billing", email="ann@example.com").get_json()
    invite("W1")  # the contact's first link again
    items = [{"channel": "chat", "interaction_id": i, "agent": "A2"} for i in ("W1", "W2", "W3")]
    batch = client.post("/api/v1/invitations:batch", json={"invitations": items}, headers=writer)
    tokens = {
        r["invitation"]["interaction_id"]: r["invitation"]["token"]
        for r in _ok(batch).get_json()["results"]
    }
    # The page: open, a form with an answer missing (shown again), the whole form.
    page = f"/s/{first['token']}"
    html = _ok(client.get(page)).get_data(as_text=True)
    form = {"csrf_token": _csrf(html), "csat": "1", "ces": "4", "comment": "Nobody called."}
    _ok(client.post(page, data=form), 422)
    _ok(client.post(page, data={**form, "nps": "2"}))  # a low score: the reason's step
    reason = {**form, "nps": "2", "step": "2", "low_score_reason": "waiting"}
    _ok(client.post(page, data=reason))
    _ok(client.get(page), 409)
    # The widget API: read, save a draft, submit, submit again.
    token = tokens["W2"]
    _ok(client.get(f"/api/v1/responses/{token}"))
    _ok(client.patch("/api/v1/responses", json={"token": token, "answers": {"csat": 4}}))
    answers = {"csat": 4, "nps": 9, "ces": 2, "comment": "Fine."}
    _ok(client.post("/api/v1/responses", json={"token": token, "answers": answers}), 201)
    _ok(client.post("/api/v1/responses", json={"token": token, "answers": answers}), 409)


def training(config: dict[str, Any], db, keys: dict[str, dict[str, str]], month: str) -> None:
    client = training_survey.create_app(config).test_client()
    _common(client, {})
    trainer = {"id": "TR1", "name": "Li Wei", "team": "onboarding"}
    _ok(client.post("/api/v1/trainers", json=trainer, headers=keys["admin"]), 201)
    _ok(client.get("/api/v1/trainers", headers=keys["admin"]))
    body = {
        "trainer_id": "TR1",
        "topic": "Refunds",
        "held_at": datetime.now(UTC).isoformat(),
        "language": "en-US",
        "trainees": ["u1", "u2", "u3", "u4"],
    }
    made = _ok(client.post("/api/v1/sessions", json=body, headers=keys["write"]), 201).get_json()
    ratings = {"communication": 4, "clarity": 5, "interaction": 3, "overall": 4}
    for link in made["links"][:2]:
        evaluation = {"token": link["token"], "answers": {**ratings, "comment": "Clear."}}
        _ok(client.post("/api/v1/evaluations", json=evaluation), 201)
    page = f"/t/{made['links'][2]['token']}"
    html = _ok(client.get(page)).get_data(as_text=True)
    form = {"csrf_token": _csrf(html), **{k: str(v) for k, v in ratings.items()}}
    _ok(client.post(page, data=form))
    fold(db)
    closed = client.post(f"/api/v1/sessions/{made['session_id']}/close", headers=keys["write"])
    _ok(closed)  # released: three evaluations, the minimum
    listed = client.get(f"/api/v1/sessions?month={month}", headers=keys["write"])
    assert _ok(listed).get_json()["sessions"][0]["comments"] == ["Clear.", "Clear."]
    _ok(client.get("/api/v1/sessions?trainer=TR1", headers=keys["write"]))


def reports(config: dict[str, Any], db, keys: dict[str, dict[str, str]], month: str) -> None:
    client = aggregator.create_app(config).test_client()
    reader, writer, admin = keys["read"], keys["write"], keys["admin"]
    _common(client, {})

    def get(path: str, **query: Any):
        return _ok(client.get(path, query_string=query, headers=reader))

    span = {"from": month, "to": month}
    get("/api/v1/metrics/monthly", **span)
    get("/api/v1/metrics/monthly", agent="A17", **span)
    get("/api/v1/metrics/monthly", agent="A1", channel="chat", format="csv", **span)
    for by in ("agent", "team", "reason", "channel", "survey"):
        get("/api/v1/metrics/breakdown", month=month, by=by)
    get("/api/v1/funnel", month=month)
    get("/api/v1/funnel", month=month, channel="ivr", format="csv")
    get("/api/v1/trainers/ranking", month=month)
    get("/api/v1/trainers/TR1/monthly", **span)
    # Complaints, escalation (three login complaints in ten minutes: an alert), its rules.
    now = datetime.now(UTC)
    for i in range(3):
        complaint = {
            "source": "crm",
            "external_id": f"K{i}",
            "category": "login",
            "occurred_at": (now - timedelta(minutes=2 - i)).isoformat(),
            "agent": "A1",
        }
        _ok(client.post("/api/v1/complaints", json=complaint, headers=writer), 201)
    _ok(client.post("/api/v1/complaints", json=complaint, headers=writer))  # a re-post
    for by in ("agent", "category", "team"):
        get("/api/v1/complaints/report", month=month, by=by)
    alerts = get("/api/v1/alerts", status="open").get_json()["alerts"]
    get("/api/v1/alerts", category="login", level="notice")
    _ok(client.post(f"/api/v1/alerts/{alerts[0]['id']}/ack", headers=writer))
    rules = _ok(client.get("/api/v1/alert-rules", headers=admin)).get_json()
    _ok(client.put("/api/v1/alert-rules", json=rules, headers=admin))
    # Follow-ups: the unhappy web response (the worker queued it).
    drain_queue(db, WorkerSettings.from_env(config))
    get("/api/v1/follow-ups")
    get("/api/v1/follow-ups", overdue="true", status="open")
    move = {"status": "contacted", "note": "Called back."}
    _ok(client.patch("/api/v1/follow-ups/chat:W1", json=move, headers=writer))
    # Quality management: monitor scores, self-ratings, thanks; their reports.
    when = datetime.now(UTC).isoformat()
    for monitor, score in (("M1", 7), ("M2", 8)):
        body = {
            "interaction_id": "W1",
            "channel": "chat",
            "agent": "A1",
            "monitor_id": monitor,
            "scored_at": when,
            "form": {"id": "f"},
            "items": [{"key": "greeting", "score": score, "max": 10}],
        }
        _ok(client.post("/api/v1/monitor-scores", json=body, headers=writer), 201)
    rating = {"interaction_id": "W1", "channel": "chat", "agent": "A1", "rating": 2}
    _ok(
        client.post("/api/v1/agent-ratings", json={**rating, "rated_at": when}, headers=writer), 201
    )
    letter = {"source": "mail", "source_id": "L1", "agent": "A1", "received_at": when}
    _ok(client.post("/api/v1/thanks", json=letter, headers=writer), 201)
    get("/api/v1/agents/report", month=month)
    get("/api/v1/qa/sample", month=month, per_agent=2, detractors=2)
    rows = get("/api/v1/responses", limit=2, **span).get_json()
    get("/api/v1/responses", cursor=rows["next_cursor"], format="csv", **span)
    for metric in ("csat", "nps"):
        get("/api/v1/metrics/reasons", month=month, metric=metric)
    for by in ("agent", "team", "monitor"):
        get("/api/v1/calibration", month=month, by=by)
    for action in ("export", "erase"):
        request = {"action": action, "subject": {"interaction_id": "W1", "channel": "chat"}}
        _ok(client.post("/api/v1/privacy/requests", json=request, headers=admin))
    trail = _ok(client.get("/api/v1/audit?actor=test-write&limit=2", headers=admin)).get_json()
    _ok(client.get(f"/api/v1/audit?before={trail['next_before']}", headers=admin))
    # The dashboard: sign in with a read key, look, sign out.
    html = _ok(client.get("/dashboard/sign-in?lang=en-US")).get_data(as_text=True)
    form = {"csrf_token": _csrf(html), "key": reader["Authorization"][7:], "lang": "en-US"}
    _ok(client.post("/dashboard/sign-in", data=form), 302)
    html = _ok(client.get(f"/dashboard?month={month}&lang=en-US")).get_data(as_text=True)
    _ok(client.get("/dashboard/contacts/ivr/CA1?lang=en-US"))
    _ok(client.get("/dashboard/recordings/ivr/comment/CA1"), 404)  # no recording
    _ok(client.get("/dashboard/agents/A17?lang=en-US"))
    _ok(client.get(f"/dashboard/qa-sample?month={month}&lang=en-US"))
    _ok(client.get(f"/dashboard/comments?month={month}&band=nps-detractors&lang=en-US"))
    _ok(client.post("/dashboard/sign-out", data={"csrf_token": _csrf(html)}), 302)
    # Acting from the dashboard, with a write key.
    html = _ok(client.get("/dashboard/sign-in?lang=en-US")).get_data(as_text=True)
    form = {"csrf_token": _csrf(html), "key": writer["Authorization"][7:], "lang": "en-US"}
    _ok(client.post("/dashboard/sign-in", data=form), 302)
    html = _ok(client.get(f"/dashboard?month={month}&lang=en-US")).get_data(as_text=True)
    acting = {"csrf_token": _csrf(html)}
    _ok(client.post(f"/dashboard/alerts/{alerts[0]['id']}/ack", data=acting), 302, 303, 409, 422)
    resolve = {**acting, "action": "resolved", "root_cause": "Late", "action_taken": "Called"}
    _ok(client.post("/dashboard/follow-ups/chat:W2", data=resolve), 302, 303, 404, 409, 422)
    _ok(client.post("/dashboard/sign-out", data=acting), 302)


def worker_steps(config: dict[str, Any], db) -> None:
    """The worker's batch work between requests (not the request path)."""
    fold(db)
    drain_queue(db, WorkerSettings.from_env(config))
    settle_idle(db, 30, now=datetime.now(UTC) + timedelta(days=30))
    fold(db)
    rebuild(db)


@pytest.fixture
def scenario(recorder, config, db, api_key) -> Recorder:
    """Every endpoint of every service, called the way their clients call them."""
    keys = {scope: api_key(scope) for scope in ("read", "write", "admin")}
    month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    db = mongo.get_client(config["MONGO_URI"])[db.name]  # the worker's steps recorded too
    ivr_calls(config, db, keys)
    web_surveys(config, db, keys)
    training(config, db, keys, month)
    fold(db)
    reports(config, db, keys, month)
    worker_steps(config, db)
    return recorder


def _endpoints(app) -> set[tuple[str, str]]:
    name = app.config["SERVICE_NAME"]
    skipped = ("static", "swagger_ui_assets.asset")
    return {
        (name, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith(skipped)
    }


def test_the_scenario_calls_every_endpoint_of_every_service(scenario, config):
    every = set()
    for package in (ivr_survey, web_survey, training_survey, aggregator):
        every |= _endpoints(package.create_app(config))
    assert every - scenario.endpoints == set()
    seen = {q.collection for q in scenario.queries if q.endpoint}
    assert set(sharded()) <= seen, "a sharded collection no request reads: drive it"


def test_no_request_scatters_to_every_shard(scenario):
    scattered, allowed_seen = [], set()
    for q in scenario.queries:
        assert q.collection in SHARD_KEYS, f"{q.collection} ({q.site}) is not in SHARD_KEYS"
        if q.endpoint is None or SHARD_KEYS[q.collection] is None:
            continue  # the worker's, or an unsharded collection: one shard holds it all
        if targets(q.filter, key_field(q.collection)):
            continue
        if (q.collection, q.site) in ALLOWED_SCATTERS:
            allowed_seen.add((q.collection, q.site))
            continue
        scattered.append(f"{q.endpoint}: {q.command} {q.collection} {q.filter} from {q.site}")
    assert scattered == [], "queries without their shard key:\n" + "\n".join(scattered)
    assert set(ALLOWED_SCATTERS) == allowed_seen, "an allowed scatter no request sends any more"


def test_single_document_writes_name_the_shard_key_everywhere(scenario):
    """mongos refuses an upsert, and (before 7.1) an updateOne / deleteOne / findAndModify,
    on a sharded collection whose filter lacks the whole shard key by equality."""
    worker = {q.site for q in scenario.queries if q.endpoint is None}
    assert "survey_core/folding/batch.py:work" in worker  # the fold ran, recorded
    wrong = [
        f"{q.command} {q.collection} {q.filter} from {q.site}"
        for q in scenario.queries
        if q.command in WRITES
        and q.single
        and SHARD_KEYS.get(q.collection)
        and not targets(q.filter, key_field(q.collection), equality_only=True)
    ]
    assert wrong == []


COLLECTION_CALL = re.compile(
    r"(?:\bdb|\bdatabase|get_db\(\))\s*\.\s*(?!client\b)([a-z_]+)\s*\.\s*(?:find|find_one|find_one_and_\w+"
    r"|insert_one|insert_many|update_one|update_many|replace_one|delete_one|delete_many"
    r"|aggregate|count_documents|distinct|bulk_write|create_indexes?|index_information)\("
)
COLLECTION_NAME = re.compile(
    r"(?:get_db\(\)\[|_store\(|_per_agent\(|collection_name\":\s*)\"([a-z_]+)\""
)


def test_every_collection_the_code_names_has_a_row_in_shard_keys():
    named = set(INDEXES) | {"fold_state"}
    for path in SERVICES.rglob("*.py"):
        text = path.read_text()
        named |= set(COLLECTION_CALL.findall(text)) | set(COLLECTION_NAME.findall(text))
    assert named - set(SHARD_KEYS) == set()
    assert set(SHARD_KEYS) - named == set(), "a row for a collection the code no longer uses"


def test_a_sharded_collection_keeps_no_unique_index_its_shard_key_does_not_prefix():
    """A unique index on a sharded collection must start with the shard key's fields."""
    for collection, key in sharded().items():
        for model in INDEXES.get(collection, []):
            document = model.document
            if document.get("unique"):
                assert list(document["key"])[: len(key)] == list(key), (collection, document)


def test_scaling_md_names_every_collections_shard_key():
    """deploy/SCALING.md's table says what SHARD_KEYS says."""
    text = (ROOT / "deploy" / "SCALING.md").read_text()
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\|\s*`([a-z_]+)`\s*\|\s*([^|]+?)\s*\|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    assert set(rows) == set(SHARD_KEYS)
    for collection, key in SHARD_KEYS.items():
        if key is None:
            assert rows[collection].startswith("not sharded"), collection
        else:
            expected = ", ".join(
                f"`{f}`" + (" hashed" if k == "hashed" else "") for f, k in key.items()
            )
            assert rows[collection] == expected, collection
