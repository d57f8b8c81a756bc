"""No report request writes: every report, in JSON and CSV, and the dashboard's pages, watched
at the database. The one write a CSV export makes is its audit record (who exported what)."""

from __future__ import annotations

import aggregator
from aggregator.reports import blueprints
from tests.pipeline import fold, submit

MONTH = "2026-10"
# One request per report route (the test fails when a report has none here).
REQUESTS = {
    "metrics.Monthly": f"/api/v1/metrics/monthly?from=2026-09&to={MONTH}&agent=A1&team=north",
    "metrics.Breakdown": f"/api/v1/metrics/breakdown?month={MONTH}&by=agent",
    "metrics.Funnel": f"/api/v1/funnel?month={MONTH}",
    "trainers.Ranking": f"/api/v1/trainers/ranking?month={MONTH}",
    "trainers.Trend": f"/api/v1/trainers/TR1/monthly?from=2026-09&to={MONTH}",
    "complaint_report.report": f"/api/v1/complaints/report?month={MONTH}&by=agent",
    "quality_reports.calibration_report": f"/api/v1/calibration?month={MONTH}&by=agent",
    "quality_reports.agent_report": f"/api/v1/agents/report?month={MONTH}",
    "low_score_reasons.LowScoreReasons": f"/api/v1/metrics/reasons?month={MONTH}&metric=csat",
    "qa_sample.qa_sample": f"/api/v1/qa/sample?month={MONTH}&per_agent=2&detractors=2",
    "response_rows.response_rows": f"/api/v1/responses?from=2026-09&to={MONTH}&agent=A1",
}


def _responses(db) -> None:
    for i, (csat, folded) in enumerate([(5, True), (2, True), (4, False)]):
        meta = {"channel": "web", "interaction_id": f"W{i}", "survey": "post-contact"}
        meta.update(version=1, agent_id="A1", team="north", reason="billing", month=MONTH)
        submit(db, meta, {"csat": csat, "nps": 9, "ces": 2, "comment": f"c{i}"})
        if folded:
            fold(db)  # the last stays past the watermark: reports fold it in memory


def test_every_report_has_a_request_here(config):
    app = aggregator.create_app(config)
    names = {bp.name for bp in blueprints()}
    routes = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in names}
    assert routes == set(REQUESTS)


def test_no_report_request_writes(config, db, api_key, commands):
    _responses(db)
    reader = api_key("read")
    client = aggregator.create_app(config).test_client()
    commands.seen.clear()
    for endpoint, url in REQUESTS.items():
        assert client.get(url, headers=reader).status_code == 200, endpoint
        assert commands.writes() == [], f"{endpoint} wrote {commands.writes()}"
        csv = client.get(url, headers={**reader, "Accept": "text/csv"})
        if csv.mimetype == "text/csv":
            assert [w for w in commands.writes() if "audit" not in w[1]] == [], endpoint
            commands.seen.clear()
    # The watch sees what a request writes: a quality write, for contrast.
    thanks = {"source": "mail", "source_id": "m-1", "agent": "A1"}
    thanks["received_at"] = "2026-10-12T10:00:00+08:00"
    assert client.post("/api/v1/thanks", json=thanks, headers=api_key("write")).status_code == 201
    assert any(
        name == "insert" and collection == "thanks" for name, collection in commands.writes()
    )


def test_the_dashboard_pages_write_nothing(config, db, api_key, commands):
    _responses(db)
    client = aggregator.create_app(config).test_client()
    page = client.get("/dashboard/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    key = api_key("read")["Authorization"].split()[1]
    signed_in = client.post("/dashboard/sign-in", data={"key": key, "csrf_token": token})
    assert signed_in.status_code == 302
    commands.seen.clear()
    for page in ("/dashboard", "/dashboard/comments"):
        assert client.get(f"{page}?month={MONTH}&band=csat-1-2").status_code == 200
    assert commands.writes() == []


def test_the_contact_agent_and_sample_pages_write_nothing(config, db, api_key, commands):
    _responses(db)
    client = aggregator.create_app(config).test_client()
    page = client.get("/dashboard/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    key = api_key("read")["Authorization"].split()[1]
    assert client.post("/dashboard/sign-in", data={"key": key, "csrf_token": token}).status_code
    commands.seen.clear()
    for url in (
        "/dashboard/contacts/web/W0",
        f"/dashboard/agents/A1?month={MONTH}",
        f"/dashboard/qa-sample?month={MONTH}&per_agent=2",
    ):
        assert client.get(url).status_code == 200, url
        assert commands.writes() == [], f"{url} wrote {commands.writes()}"
