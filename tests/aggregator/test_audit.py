"""The audit trail: every write made with an API key, every CSV export and every key command
appends one record; admins read it newest first; nothing changes or removes one."""

from __future__ import annotations

from click.testing import CliRunner

import web_survey
from ops.cli import main
from survey_core.complaints import rules

COMPLAINT = {
    "source": "crm",
    "external_id": "T-1",
    "category": "login",
    "occurred_at": "2026-11-02T09:30:00+08:00",
}


def trail(client, admin, **query):
    answer = client.get("/api/v1/audit", query_string=query, headers=admin)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_every_write_made_with_a_key_appends_one_record(client, api_key, config):
    admin, writer = api_key("admin"), api_key("write")
    posted = client.post("/api/v1/complaints", json=COMPLAINT, headers=writer)
    assert posted.status_code == 201
    rule_set = {"rules": rules.DEFAULT_RULES}
    replaced = client.put("/api/v1/alert-rules", json=rule_set, headers=admin)
    web = web_survey.create_app(config).test_client()
    invited = web.post(
        "/api/v1/invitations",
        json={"channel": "chat", "interaction_id": "C-1", "agent": "A1"},
        headers=writer,
    )
    assert invited.status_code == 201, invited.get_json()
    records = trail(client, admin)["records"]
    assert [(r["actor"], r["action"], r["outcome"]) for r in records] == [
        ("test-write", "POST /api/v1/invitations", 201),
        ("test-admin", "PUT /api/v1/alert-rules", 200),
        ("test-write", "POST /api/v1/complaints", 201),
    ]
    assert records[0]["target"] == {}  # no id: never the link's token (a credential)
    assert records[1]["request_id"] == replaced.headers["X-Request-ID"]
    assert records[2]["target"] == {"id": posted.get_json()["id"]}
    assert all(r["via"] == "api" for r in records)


def test_a_refused_write_is_audited_with_its_status(client, api_key):
    admin = api_key("admin")
    refused = client.put("/api/v1/alert-rules", json={"rules": []}, headers=admin)
    assert refused.status_code == 422
    missing = client.post("/api/v1/alerts/nothing-here/ack", headers=api_key("write"))
    assert missing.status_code == 404
    records = trail(client, admin)["records"]
    assert [(r["action"], r["outcome"]) for r in records] == [
        ("POST /api/v1/alerts/<alert_id>/ack", 404),
        ("PUT /api/v1/alert-rules", 422),
    ]
    assert records[0]["target"] == {"alert_id": "nothing-here"}


def test_reads_leave_no_record_but_a_csv_export_does(client, api_key):
    reader, admin = api_key("read"), api_key("admin")
    query = {"from": "2026-10", "to": "2026-11"}
    read = client.get("/api/v1/metrics/monthly", query_string=query, headers=reader)
    assert read.status_code == 200
    assert trail(client, admin)["records"] == []
    exported = client.get(
        "/api/v1/metrics/monthly", query_string={**query, "format": "csv"}, headers=reader
    )
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    records = trail(client, admin)["records"]
    assert [(r["actor"], r["action"]) for r in records] == [
        ("test-read", "EXPORT /api/v1/metrics/monthly")
    ]


def test_requests_without_a_valid_key_leave_no_record(client, api_key, db):
    assert client.post("/api/v1/complaints", json=COMPLAINT).status_code == 401
    reader = api_key("read")
    assert client.post("/api/v1/complaints", json=COMPLAINT, headers=reader).status_code == 403
    assert db.audit.count_documents({}) == 0


def test_only_admins_read_the_trail_and_no_one_changes_it(client, api_key):
    assert client.get("/api/v1/audit", headers=api_key("write")).status_code == 403
    admin = api_key("admin")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/v1/audit", headers=admin).status_code == 405


def test_the_trail_pages_newest_first_and_filters(client, api_key):
    admin, writer = api_key("admin"), api_key("write")
    for i in range(5):
        body = {**COMPLAINT, "external_id": f"T-{i}"}
        assert client.post("/api/v1/complaints", json=body, headers=writer).status_code == 201
    client.put("/api/v1/alert-rules", json={"rules": rules.DEFAULT_RULES}, headers=admin)
    first = trail(client, admin, actor="test-write", limit=3)
    ids = [r["target"]["id"] for r in first["records"]]
    assert ids == ["crm:T-4", "crm:T-3", "crm:T-2"]
    rest = trail(client, admin, actor="test-write", limit=3, before=first["next_before"])
    assert [r["target"]["id"] for r in rest["records"]] == ["crm:T-1", "crm:T-0"]
    assert rest["next_before"] is None
    by_action = trail(client, admin, action="PUT /api/v1/alert-rules")["records"]
    assert [r["actor"] for r in by_action] == ["test-admin"]
    bad = client.get("/api/v1/audit", query_string={"before": "x"}, headers=admin)
    assert bad.status_code == 422


def test_keys_made_and_revoked_on_the_command_line_are_audited(config, db):
    env = {k: str(v) for k, v in config.items()}
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "create", "--name", "bi", "--scope", "read"], env=env)
    assert made.exit_code == 0
    assert runner.invoke(main, ["keys", "revoke", "bi"], env=env).exit_code == 0
    assert runner.invoke(main, ["keys", "revoke", "bi"], env=env).exit_code == 1
    records = list(db.audit.find().sort("_id", 1))
    assert [(r["action"], r["outcome"], r["via"]) for r in records] == [
        ("keys create", "ok", "cli"),
        ("keys revoke", "ok", "cli"),
        ("keys revoke", "failed", "cli"),
    ]
    key = made.stdout.strip().splitlines()[0]
    assert records[0]["target"]["name"] == "bi" and key not in str(records)


def test_dashboard_sign_in_and_sign_out_are_audited(client, api_key, db):
    import re

    csrf = re.compile(r'name="csrf_token" value="([^"]+)"')
    reader = api_key("read")["Authorization"][7:]
    page = client.get("/dashboard/sign-in?lang=en-US").get_data(as_text=True)
    form = {"csrf_token": csrf.search(page).group(1), "lang": "en-US"}
    assert client.post("/dashboard/sign-in", data={**form, "key": "voc_wrong"}).status_code == 401
    assert client.post("/dashboard/sign-in", data={**form, "key": reader}).status_code == 302
    page = client.get("/dashboard?lang=en-US").get_data(as_text=True)
    signed_out = client.post("/dashboard/sign-out", data={"csrf_token": csrf.search(page).group(1)})
    assert signed_out.status_code == 302
    records = list(db.audit.find().sort("_id", 1))
    assert [(r["actor"], r["action"], r["outcome"], r["via"]) for r in records] == [
        ("(unknown key)", "dashboard sign-in", 401, "dashboard"),
        ("test-read", "dashboard sign-in", "ok", "dashboard"),
        ("test-read", "dashboard sign-out", "ok", "dashboard"),
    ]
    assert all(r["request_id"] for r in records) and reader not in str(records)
