"""Complaints and escalation alerts against an independent evaluation of DESIGN.md's rules."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymongo import MongoClient, monitoring

from survey_core.complaints import rules
from survey_core.complaints.store import RuleBook, minute_of, record_complaint, replace_rules

T0 = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)


def reference(stream: list[tuple[str, int]], rule_set: list[dict], min_baseline: int = 10):
    """DESIGN.md's semantics, evaluated naively: every complaint so far scanned each time."""
    by_category = {r["category"]: r for r in rule_set}
    seen: list[tuple[str, int]] = []
    alerts: dict[tuple[str, int, int], dict] = {}

    def count(category: str, first: int, last: int) -> int:
        return sum(1 for c, m in seen if c == category and first <= m <= last)

    for category, t in stream:
        category = category if category in by_category else "general"
        seen.append((category, t))
        rule = by_category.get(category)
        if rule is None:
            continue
        best: dict[int, tuple[str, int]] = {}
        for th in rule["thresholds"]:
            n = count(category, t - th["window_minutes"] + 1, t)
            if n > th["more_than"]:
                w = th["window_minutes"]
                if w not in best or rules.LEVELS.index(th["level"]) > rules.LEVELS.index(
                    best[w][0]
                ):
                    best[w] = (th["level"], n)
        growth = rule.get("growth")
        if growth:
            now = count(category, t - 1439, t)
            base = count(category, t - 1439 - 10080, t - 10080)
            if base >= min_baseline and now * 100 > base * (100 + growth["percent"]):
                w = 1440
                if w not in best or rules.LEVELS.index(growth["level"]) > rules.LEVELS.index(
                    best[w][0]
                ):
                    best[w] = (growth["level"], now)
        for w, (level, n) in best.items():
            open_ = [
                a
                for (c, ww, t0), a in alerts.items()
                if c == category and ww == w and t0 <= t < t0 + w
            ]
            if not open_:
                alerts[(category, w, t)] = {"level": level, "count": n, "escalated": False}
            else:
                current = max(open_, key=lambda a: a["start"]) if len(open_) > 1 else open_[0]
                if rules.LEVELS.index(level) > rules.LEVELS.index(current["level"]):
                    current.update(level=level, count=n, escalated=True)
        for key, a in alerts.items():
            a.setdefault("start", key[2])
    return {k: (a["level"], a["count"], a["escalated"]) for k, a in alerts.items()}


SERIAL = itertools.count()


def post(db, stream, min_baseline=10):
    for i, (category, minute) in enumerate(stream):
        occurred = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=minute, seconds=i % 60)
        body = {
            "source": "test",
            "external_id": f"c{next(SERIAL)}",
            "category": category,
            "occurred_at": occurred,
        }
        record_complaint(db, body, min_baseline)


def stored(db):
    return {
        (a["category"], a["window_minutes"], a["occurrence_start"]): (
            a["level"],
            a["count"],
            a["escalated_at"] is not None,
        )
        for a in db.alerts.find()
    }


t = minute_of(T0)


@pytest.mark.parametrize(
    "stream",
    [
        pytest.param([("login", t)] * 6, id="login-burst-one-minute"),
        pytest.param([("login", t + i * 3) for i in range(12)], id="login-over-30-min-and-3-h"),
        pytest.param(
            [("login", m) for m in (t, t + 5, t + 9, t + 18, t + 18, t + 19)],
            id="10-min-edges",
        ),
        pytest.param([("payment", t + i) for i in range(25)], id="payment-red"),
        pytest.param([("reading", t + i // 2) for i in range(45)], id="reading"),
        pytest.param([("non-core", t + i * 5) for i in range(40)], id="non-core-3h"),
        pytest.param([("campaign", t)] * 31 + [("campaign", t + 100)] * 20, id="campaign"),
        pytest.param(
            [("intermittent", t + i * 200) for i in range(12)], id="intermittent-day-week"
        ),
        pytest.param([("unheard-of", t)] * 11, id="unknown-is-general"),
        pytest.param(
            [("login", m) for m in (t + 40, t + 41, t, t + 5, t + 8, t + 42)], id="back-dated"
        ),
        pytest.param(
            [("login", t + i * 2) for i in range(3)] + [("login", t + 12 + i) for i in range(3)],
            id="new-occurrence-after-window",
        ),
    ],
)
def test_alerts_match_an_independent_evaluation(db, stream):
    post(db, stream)
    assert stored(db) == reference(stream, rules.DEFAULT_RULES)
    assert stored(db)  # every stream crosses something


def test_week_over_week_growth_raises_only_above_the_baseline_minimum(db):
    week_ago = [("general", t - 10080 + i * 120) for i in range(10)]  # 10: the minimum
    today = [("general", t + i * 120) for i in range(12)]  # 12 > 10 x 1.2: not strictly
    post(db, week_ago + today)
    assert stored(db) == {} == reference(week_ago + today, rules.DEFAULT_RULES)
    post(db, [("general", t + 1380)])  # 13 x 100 > 10 x 120
    stream = week_ago + today + [("general", t + 1380)]
    assert stored(db) == reference(stream, rules.DEFAULT_RULES)
    assert stored(db)[("general", 1440, t + 1380)] == ("level-2", 13, False)


def test_a_higher_level_inside_an_occurrence_escalates_the_alert(db):
    custom = [
        {
            "category": "login",
            "thresholds": [
                {"window_minutes": 30, "more_than": 2, "level": "notice"},
                {"window_minutes": 30, "more_than": 4, "level": "red"},
            ],
            "growth": None,
        }
    ]
    replace_rules(db, custom)
    stream = [("login", t + i) for i in range(5)]
    post(db, stream)
    assert stored(db) == {("login", 30, t + 2): ("red", 5, True)} == reference(stream, custom)


def test_a_repost_changes_nothing(db):
    body = {"source": "crm", "external_id": "X1", "category": "login", "occurred_at": T0}
    first = record_complaint(db, body)
    again = record_complaint(db, {**body, "category": "payment"})
    assert first.created and not again.created
    assert db.complaints.count_documents({}) == 1
    hour = db.complaint_counts.find_one({"_id": f"login|hm|{t // 60}"})
    assert hour["n"] == 1 and hour["m"] == {str(t % 60): 1}


def test_three_concurrent_writers_open_one_alert_per_occurrence(db):
    barrier = threading.Barrier(3)

    def writer(k: int) -> None:
        barrier.wait()
        for i in range(4):
            body = {
                "source": "w",
                "external_id": f"{k}-{i}",
                "category": "login",
                "occurred_at": T0,
            }
            record_complaint(db, body)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.complaints.count_documents({}) == 12
    alerts = stored(db)
    assert set(alerts) == {("login", 10, t), ("login", 30, t), ("login", 180, t)}
    assert alerts[("login", 10, t)][0] == "notice" and alerts[("login", 30, t)][0] == "level-1"


def test_concurrent_writers_of_one_category_lose_no_count(db):
    from collections import Counter

    from survey_core.complaints import counters

    barrier = threading.Barrier(3)
    # Minutes in one hour, across hours and across days: every counter document is shared.
    minutes = [t, t + 1, t + 61, t + 1440, t + 1441, t + 3000]

    def writer(k: int) -> None:
        barrier.wait()
        for i, minute in enumerate(minutes):
            occurred = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
            body = {"source": "w", "external_id": f"{k}-{i}", "occurred_at": occurred}
            record_complaint(db, {**body, "category": "payment"})

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = counters.documents(Counter({("payment", m): 3 for m in minutes}))
    stored_counts = db.complaint_counts.find({"_id": {"$ne": counters.RULES_MARK}})
    assert sorted(stored_counts, key=lambda d: d["_id"]) == sorted(expected, key=lambda d: d["_id"])


def test_a_complaint_and_its_audit_record_commit_together(db):
    from pymongo.errors import DuplicateKeyError

    from survey_core import audit

    body = {"source": "crm", "external_id": "Z1", "category": "login", "occurred_at": T0}
    record = audit.entry("test-write", "POST /api/v1/complaints", {"id": "crm:Z1"}, "r1", 201)
    assert record_complaint(db, body, audit_record=record).created
    assert db.audit.count_documents({"target": {"id": "crm:Z1"}}) == 1
    # A record that cannot be stored (its id taken) takes the complaint with it.
    clash = {**record, "_id": db.audit.find_one()["_id"], "target": {"id": "crm:Z2"}}
    with pytest.raises(DuplicateKeyError):
        record_complaint(db, {**body, "external_id": "Z2"}, audit_record=clash)
    assert db.complaints.count_documents({}) == 1 and db.audit.count_documents({}) == 1
    assert db.complaint_counts.find_one({"_id": "login|all"})["n"] == 1
    # A re-post stores neither (the request appends its own record, with 200).
    again = record_complaint(db, body, audit_record={**record, "request_id": "r2"})
    assert not again.created and db.audit.count_documents({}) == 1


def test_the_api_stores_a_complaint_and_its_audit_record_in_one_write_of_its_transaction(
    config, api_key, db
):
    import aggregator
    from survey_core.storage import client as mongo

    class Sent(monitoring.CommandListener):
        """(command, what it names, its transaction number) of this database's commands."""

        def __init__(self) -> None:
            self.seen: list[tuple[str, list[str], Any]] = []

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            command = event.command
            if event.command_name == "bulkWrite":
                names = [ns["ns"] for ns in command.get("nsInfo", [])]
            elif event.command_name == "commitTransaction":
                names = []
            elif event.database_name == db.name:
                names = [f"{db.name}.{command[event.command_name]}"]
            else:
                return
            self.seen.append((event.command_name, names, command.get("txnNumber")))

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            pass

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    sent = Sent()
    monitoring.register(sent)  # heard by clients made from now on: the app's below
    app = aggregator.create_app({**config, "DB_TIMEOUT_MS": "2499"})
    try:
        client, key = app.test_client(), api_key("write")
        body = {"source": "crm", "external_id": "Q0", "occurred_at": T0.isoformat()}
        assert client.post("/api/v1/complaints", json=body, headers=key).status_code == 201
        sent.seen.clear()  # the process has read the key and the rules
        body = {**body, "external_id": "Q1"}
        assert client.post("/api/v1/complaints", json=body, headers=key).status_code == 201
    finally:
        made = mongo._clients.pop((config["MONGO_URI"], 2499, False), None)
        if made is not None:
            made.close()
    ours = [c for c in sent.seen if c[1] != [f"{db.name}.api_keys"]]  # the key, once a second
    assert [name for name, _, _ in ours] == ["find", "bulkWrite", "commitTransaction"]
    assert ours[0][1] == [f"{db.name}.complaint_counts"]
    _, written, txn = ours[1]
    assert written == [f"{db.name}.complaints", f"{db.name}.complaint_counts", f"{db.name}.audit"]
    assert txn is not None and {t for _, _, t in ours} == {txn}  # one transaction's statements
    assert db.audit.count_documents({}) == 2


def test_the_api_records_lists_and_acknowledges(client, api_key, db):
    writer, reader = api_key("write"), api_key("read")
    for i in range(3):
        body = {
            "source": "crm",
            "external_id": f"K{i}",
            "category": "login",
            "occurred_at": T0.isoformat(),
        }
        response = client.post("/api/v1/complaints", json=body, headers=writer)
        assert response.status_code == 201, response.get_json()
    assert response.get_json()["alerts"][0]["level"] == "notice"
    again = client.post("/api/v1/complaints", json=body, headers=writer)
    assert again.status_code == 200 and again.get_json()["created"] is False
    listed = client.get("/api/v1/alerts?status=open&category=login", headers=reader).get_json()
    alert = listed["alerts"][0]
    assert alert["window_minutes"] == 10 and alert["count"] == 3
    assert alert["occurrence_start"].startswith("2026-10-12T08:00:00")
    acked = client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=writer).get_json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "test-write"
    assert client.get("/api/v1/alerts?status=open", headers=reader).get_json()["alerts"] == []


@pytest.mark.parametrize(
    "rule_set, where",
    [
        ({"rules": []}, "rules"),
        ({"rules": [{"category": "login"}]}, "rules"),
        (
            {
                "rules": [
                    {
                        "category": "Login!",
                        "thresholds": [{"window_minutes": 30, "more_than": 5, "level": "red"}],
                    }
                ]
            },
            "rules",
        ),
        (
            {
                "rules": [
                    {
                        "category": "login",
                        "thresholds": [{"window_minutes": 0, "more_than": 5, "level": "red"}],
                    }
                ]
            },
            "rules",
        ),
        (
            {
                "rules": [
                    {
                        "category": "login",
                        "thresholds": [{"window_minutes": 30, "more_than": 5, "level": "amber"}],
                    }
                ]
            },
            "rules",
        ),
        ({"rules": [{"category": "login", "growth": {"percent": 10.5, "level": "red"}}]}, "rules"),
    ],
)
def test_rules_that_make_no_sense_are_refused(client, api_key, rule_set, where):
    response = client.put("/api/v1/alert-rules", json=rule_set, headers=api_key("admin"))
    assert response.status_code == 422 and where in response.get_json()["errors"]


def test_the_seeded_rules_are_the_escalation_table(client, api_key):
    body = client.get("/api/v1/alert-rules", headers=api_key("admin")).get_json()
    login = next(r for r in body["rules"] if r["category"] == "login")
    assert login["thresholds"] == [
        {"window_minutes": 10, "more_than": 2, "level": "notice"},
        {"window_minutes": 30, "more_than": 5, "level": "level-1"},
        {"window_minutes": 180, "more_than": 10, "level": "level-1"},
    ]
    assert login["growth"] == {"percent": 10, "level": "level-1"}
    assert len(body["rules"]) == 7


class _Commands(monitoring.CommandListener):
    """The commands sent to the server, by name, while `on` is set."""

    def __init__(self) -> None:
        self.on = False
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def watched(db_server, db):
    """This test's database through a client that records the commands it sends."""
    listener = _Commands()
    client = MongoClient(db_server.uri, event_listeners=[listener], retryWrites=False)
    yield client[db.name], listener
    client.close()


def test_a_complaint_that_crosses_nothing_takes_two_round_trips_and_a_commit(watched):
    watched, commands = watched
    book = RuleBook()
    first = {"source": "crm", "external_id": "A", "category": "login", "occurred_at": T0}
    record_complaint(watched, first, book=book)  # the book reads the rules once per process
    commands.on = True
    later = {**first, "external_id": "B", "occurred_at": T0 + timedelta(hours=5)}
    record_complaint(watched, later, book=book)
    # The counts and the rules' version; the complaint and its counters in one write.
    assert commands.names == ["find", "bulkWrite", "commitTransaction"]


def test_a_complaint_crossing_three_windows_writes_their_alerts_at_once(watched):
    watched, commands = watched
    every = [{"window_minutes": w, "more_than": 0, "level": "notice"} for w in (10, 30, 180)]
    replace_rules(watched, [{"category": "login", "thresholds": every, "growth": None}])
    book = RuleBook()
    first = {"source": "crm", "external_id": "A", "category": "login", "occurred_at": T0}
    commands.on = True
    assert len(record_complaint(watched, first, book=book).alerts) == 3
    # The counts; the complaint and its counters; a look-up per window, the three alerts in
    # one insert.
    looked_up = ["find", "bulkWrite", "find", "find", "find"]
    assert commands.names[-7:] == [*looked_up, "insert", "commitTransaction"]
    commands.names.clear()
    again = record_complaint(watched, {**first, "external_id": "B"}, book=book)
    assert again.alerts == []  # inside their occurrences, at the same level: nothing new
    assert commands.names == [*looked_up, "commitTransaction"]


def test_rules_replaced_by_another_process_apply_to_the_next_complaint(db):
    book = RuleBook()  # this process's cache, filled with the defaults
    record_complaint(db, {"source": "s", "external_id": "0", "occurred_at": T0}, book=book)
    strict = [
        {
            "category": "login",
            "thresholds": [{"window_minutes": 10, "more_than": 0, "level": "red"}],
            "growth": None,
        }
    ]
    replace_rules(db, strict)  # another process: this book does not know yet
    body = {"source": "s", "external_id": "1", "category": "login", "occurred_at": T0}
    done = record_complaint(db, body, book=book)
    assert [(a["level"], a["window_minutes"]) for a in done.alerts] == [("red", 10)]
    assert book.held == (db.alert_rules.find_one()["version"], strict)


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 20 * 1440), max_size=60),
    first=st.integers(0, 20 * 1440),
    length=st.integers(1, 9 * 1440),
)
def test_counter_documents_add_up_to_any_window(minutes, first, length):
    from collections import Counter

    from survey_core.complaints import counters

    last = first + length - 1
    docs = {d["_id"]: d for d in counters.documents(Counter(("c", m) for m in minutes))}
    read = {i: docs[i] for i in counters.needed("c", first, last) if i in docs}
    expected = sum(1 for m in minutes if first <= m <= last)
    assert counters.count(read, "c", first, last) == expected
