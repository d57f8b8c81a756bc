"""Acting from the dashboard with plain forms: acknowledge an alert, work a follow-up (assign,
contacted, resolved, reopened). Write and admin keys act, read keys only look; every form
carries the session's CSRF token; every attempt is audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

import aggregator
import web_survey
from survey_core.follow_ups.store import drain_queue
from tests.aggregator.test_dashboard import CSRF, sign_in
from tests.aggregator.test_follow_ups import answered, settings
from tests.pipeline import fold

RESOLVE = {"action": "resolved", "root_cause": "Refund delayed", "action_taken": "Refunded"}


@pytest.fixture
def client(config):
    return aggregator.create_app(config).test_client()


@pytest.fixture
def alert_id(client, api_key, db) -> str:
    """One open alert: three login complaints in one minute (more than 2 within 10 minutes)."""
    writer = api_key("write")
    at = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    for i in range(3):
        body = {"source": "crm", "external_id": f"C{i}", "category": "login", "occurred_at": at}
        assert client.post("/api/v1/complaints", json=body, headers=writer).status_code == 201
    (alert,) = db.alerts.find({"status": "open"})
    return alert["_id"]


@pytest.fixture
def follow_up_id(api_key, db, config) -> str:
    web = web_survey.create_app(config).test_client()
    writer = api_key("write")
    answered(web, writer, "T1", csat=1, nps=2)
    answered(web, writer, "T2", csat=2, nps=3)
    fold(db)
    drain_queue(db, settings(config))
    late = datetime.now(UTC) - timedelta(hours=2)
    db.follow_ups.update_one({"_id": "chat:T2"}, {"$set": {"due_at": late}})
    return "chat:T1"


def _signed_in_page(client, api_key, scope: str) -> str:
    assert sign_in(client, api_key(scope)["Authorization"][7:]).status_code == 302
    return client.get("/dashboard?lang=en-US").get_data(as_text=True)


def _audit(db, action: str) -> list[tuple[str, object]]:
    return [
        (r["actor"], r["outcome"]) for r in db.audit.find({"action": action, "via": "dashboard"})
    ]


@pytest.mark.parametrize("scope", ["write", "admin"])
def test_a_write_or_admin_key_acknowledges_an_alert_from_the_dashboard(
    client, api_key, db, alert_id, scope
):
    page = _signed_in_page(client, api_key, scope)
    assert f'action="/dashboard/alerts/{quote(alert_id)}/ack' in page
    token = CSRF.search(page).group(1)
    done = client.post(f"/dashboard/alerts/{alert_id}/ack", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith("#alerts-title")
    alert = db.alerts.find_one({"_id": alert_id})
    assert alert["status"] == "acknowledged" and alert["acknowledged_by"] == f"test-{scope}"
    assert _audit(db, "dashboard acknowledge alert") == [(f"test-{scope}", "ok")]
    after = client.get("/dashboard?lang=en-US").get_data(as_text=True)
    assert f'data-alert="{alert_id}"' not in after


def test_a_read_key_looks_but_cannot_act(client, api_key, db, alert_id, follow_up_id):
    page = _signed_in_page(client, api_key, "read")
    assert "/ack" not in page and 'name="action"' not in page
    assert "Your key may look; a write or admin key acts." in page
    token = CSRF.search(page).group(1)
    refused = client.post(f"/dashboard/alerts/{alert_id}/ack", data={"csrf_token": token})
    assert refused.status_code == 403 and "may look at the dashboard but not act" in (
        refused.get_data(as_text=True)
    )
    moved = client.post(
        f"/dashboard/follow-ups/{follow_up_id}", data={"csrf_token": token, **RESOLVE}
    )
    assert moved.status_code == 403
    assert db.alerts.find_one({"_id": alert_id})["status"] == "open"
    assert db.follow_ups.find_one({"_id": follow_up_id})["status"] == "open"
    assert _audit(db, "dashboard acknowledge alert") == [("test-read", 403)]


@pytest.mark.parametrize(
    "forged",
    [
        {},  # no token
        {"csrf_token": "x"},
        {"csrf_token": "sign-in"},  # replaced below by the sign-in form's token
    ],
)
def test_an_act_without_the_sessions_token_changes_nothing(client, api_key, db, alert_id, forged):
    _signed_in_page(client, api_key, "write")
    if forged.get("csrf_token") == "sign-in":
        other = client.get("/dashboard/sign-in").get_data(as_text=True)
        forged = {"csrf_token": CSRF.search(other).group(1)}
    refused = client.post(f"/dashboard/alerts/{alert_id}/ack", data=forged)
    assert refused.status_code == 400
    assert db.alerts.find_one({"_id": alert_id})["status"] == "open"
    assert _audit(db, "dashboard acknowledge alert") == [("test-write", 400)]


def test_an_act_from_another_site_is_refused(client, api_key, db, alert_id):
    page = _signed_in_page(client, api_key, "write")
    token = CSRF.search(page).group(1)
    refused = client.post(
        f"/dashboard/alerts/{alert_id}/ack",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 400 and db.alerts.find_one({"_id": alert_id})["status"] == "open"


def test_signed_out_acts_go_to_the_sign_in_page(client, db, alert_id):
    refused = client.post(f"/dashboard/alerts/{alert_id}/ack", data={"csrf_token": "x"})
    assert refused.status_code == 302 and "/dashboard/sign-in" in refused.headers["Location"]
    assert db.alerts.find_one({"_id": alert_id})["status"] == "open"


def test_a_follow_up_is_assigned_contacted_resolved_and_reopened_from_the_dashboard(
    client, api_key, db, follow_up_id
):
    page = _signed_in_page(client, api_key, "write")
    listed = re.findall(r'<li data-follow-up="([^"]+)" class="(overdue)?"', page)
    assert listed == [("chat:T2", "overdue"), ("chat:T1", "")]  # overdue first
    token = CSRF.search(page).group(1)
    path = f"/dashboard/follow-ups/{follow_up_id}"
    steps = [
        {"action": "assign", "assignee": "王芳"},
        {"action": "contacted", "note": "Called back."},
        RESOLVE,
        {"action": "reopen", "note": "Called again."},
    ]
    for step in steps:
        done = client.post(path, data={"csrf_token": token, **step})
        assert done.status_code == 303, done.get_data(as_text=True)
    doc = db.follow_ups.find_one({"_id": follow_up_id})
    assert doc["status"] == "open" and doc["assignee"] == "王芳" and doc["root_cause"]
    assert doc["assigned_by"] == doc["contacted_by"] == doc["reopened_by"] == "test-write"
    actions = [r["action"] for r in db.audit.find({"via": "dashboard"}).sort("at", 1)]
    assert actions[-4:] == [
        "dashboard follow-up assign",
        "dashboard follow-up contacted",
        "dashboard follow-up resolved",
        "dashboard follow-up reopen",
    ]
    shown = client.get("/dashboard?lang=en-US").get_data(as_text=True)
    assert 'assigned to <span class="assignee">王芳</span>' in shown


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"action": "resolved", "root_cause": "x"}, "Root cause"),  # no action taken
        ({"action": "reopen"}, "Status"),  # not resolved
        ({"action": "assign"}, "Assign to"),
        ({"action": "assign", "assignee": "x" * 129}, "Assign to"),
        ({"action": "assign", "assignee": "a\x00b"}, "Assign to"),
        ({"action": "close"}, "Action"),
        ({"action": "resolved", "root_cause": "x" * 2001, "action_taken": "y"}, "Root cause"),
    ],
)
def test_a_refused_follow_up_change_is_a_422_page_naming_the_field(
    client, api_key, db, follow_up_id, form, field
):
    token = CSRF.search(_signed_in_page(client, api_key, "write")).group(1)
    refused = client.post(
        f"/dashboard/follow-ups/{follow_up_id}", data={"csrf_token": token, **form}
    )
    assert refused.status_code == 422 and refused.mimetype == "text/html"
    assert f"<li>{field}: " in refused.get_data(as_text=True)
    assert db.follow_ups.find_one({"_id": follow_up_id})["status"] == "open"
    assert ("test-write", 422) in [
        (r["actor"], r["outcome"]) for r in db.audit.find({"via": "dashboard"})
    ]


def test_unknown_alerts_and_follow_ups_are_404_pages(client, api_key, db):
    token = CSRF.search(_signed_in_page(client, api_key, "write")).group(1)
    assert client.post("/dashboard/alerts/nope/ack", data={"csrf_token": token}).status_code == 404
    missing = client.post("/dashboard/follow-ups/nope", data={"csrf_token": token, **RESOLVE})
    assert missing.status_code == 404 and "There is no such follow-up." in missing.get_data(
        as_text=True
    )


def test_the_refusal_page_is_in_chinese_too(client, api_key, db, follow_up_id):
    assert sign_in(client, api_key("write")["Authorization"][7:], "zh-CN").status_code == 302
    token = CSRF.search(client.get("/dashboard?lang=zh-CN").get_data(as_text=True)).group(1)
    refused = client.post(
        f"/dashboard/follow-ups/{follow_up_id}", data={"csrf_token": token, "action": "reopen"}
    )
    html = refused.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "未更改" in html


def test_bytes_that_are_not_utf8_in_a_form_never_make_a_500(client, api_key, db, follow_up_id):
    token = CSRF.search(_signed_in_page(client, api_key, "write")).group(1)
    body = f"csrf_token={token}&action=assign&assignee=a%ED%B0%80%FF%00b"
    sent = client.post(
        f"/dashboard/follow-ups/{follow_up_id}",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert sent.status_code in (303, 422)


def _form_of(page: str, follow_up_id: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form for `action` on `follow_up_id`, as a browser
    sends them with that button."""
    item = re.search(rf'<li data-follow-up="{follow_up_id}".*?</li>', page, re.S).group(0)
    for form in re.findall(r"<form .*?</form>", item, re.S):
        if f'value="{action}"' in form:
            hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
            return dict(hidden)
    raise AssertionError(f"no {action} form for {follow_up_id}")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (RESOLVE, {**RESOLVE, "root_cause": "Another cause"}),
        ({"action": "contacted", "note": "Called."}, {"action": "contacted", "note": "Again."}),
        (RESOLVE, {"action": "contacted", "note": "Called."}),
        (RESOLVE, {"action": "assign", "assignee": "李四"}),
    ],
)
def test_a_second_tab_acting_on_a_follow_up_another_moved_changes_nothing(
    config, api_key, db, follow_up_id, first, second
):
    """Two tabs (two people) open the same follow-up; one acts; the other's form, made from
    the page as it was, is refused with a page saying it changed meanwhile."""
    tab_a, tab_b = (aggregator.create_app(config).test_client() for _ in range(2))
    page_a = _signed_in_page(tab_a, api_key, "write")
    page_b = _signed_in_page(tab_b, api_key, "admin")
    path = f"/dashboard/follow-ups/{follow_up_id}"
    form_a = _form_of(page_a, follow_up_id, first["action"])
    assert tab_a.post(path, data={**form_a, **first}).status_code == 303
    before = db.follow_ups.find_one({"_id": follow_up_id})
    form_b = _form_of(page_b, follow_up_id, second["action"])
    refused = tab_b.post(path, data={**form_b, **second})
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert "it may have changed meanwhile" in refused.get_data(as_text=True)
    assert db.follow_ups.find_one({"_id": follow_up_id}) == before
