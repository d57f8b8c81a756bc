"""A quality manager's month in headless Chromium, at 1366x900 and 390x844, JavaScript on and
off, in en-US and zh-CN: read the overview (figures equal the API's), acknowledge an alert,
resolve a follow-up, read the comments; every page without horizontal overflow, without a
serious or critical axe-core violation, screenshots in var/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import aggregator
import tests.browser as ui
import web_survey
from survey_core.follow_ups.store import drain_queue
from survey_core.months import month_of, months_ending
from tests.aggregator.test_follow_ups import answered, settings
from tests.pipeline import fold, submit

ui.skip_without_browser()
pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
WINDOWS = {"desktop": DESKTOP, "phone": ui.PHONE}
QTYPES = {"csat": "csat", "nps": "nps", "ces": "ces", "comment": "text"}


def _seed(db, config, api_key, month: str) -> None:
    previous = months_ending(month, 2)[0]
    for m, scores in (
        (previous, [(5, 10, 1), (4, 9, 2), (4, 8, 2)]),
        (month, [(5, 10, 1), (2, 3, 4), (5, 7, 2), (1, 0, 5)]),
    ):
        for i, (csat, nps, ces) in enumerate(scores):
            meta = {
                "channel": "chat",
                "interaction_id": f"{m}-{i}",
                "agent_id": f"A{i % 2}",
                "team": "north",
                "reason": "billing",
                "survey": "post-contact",
                "version": 1,
                "month": m,
            }
            comment = "等了很久才有人接听" * 3 if i % 2 else "Quick and friendly, thank you."
            submit(db, meta, {"csat": csat, "nps": nps, "ces": ces, "comment": comment}, QTYPES)
    fold(db)
    web = web_survey.create_app(config).test_client()
    writer = api_key("write")
    answered(web, writer, "T1", csat=1, nps=2)
    answered(web, writer, "T2", csat=2, nps=3)
    fold(db)
    drain_queue(db, settings(config))
    late = datetime.now(UTC) - timedelta(hours=3)
    db.follow_ups.update_one({"_id": "chat:T2"}, {"$set": {"due_at": late}})
    reports = aggregator.create_app(config).test_client()
    at = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    for i in range(3):
        body = {"source": "crm", "external_id": f"C{i}", "category": "login", "occurred_at": at}
        assert reports.post("/api/v1/complaints", json=body, headers=writer).status_code == 201


def _checked(page, name: str, window: str, language: str, js: bool) -> None:
    """No horizontal overflow; with JavaScript on (axe needs it; the page has none of its
    own, so its DOM is the same either way) no serious axe violation and a screenshot."""
    width = WINDOWS[window]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, window)
    if js:
        assert ui.axe_violations(page) == [], (name, window, language)
        shot = SHOTS / f"dashboard-{name}-{window}-{language}.png"
        page.screenshot(path=str(shot), full_page=True)


def _sign_in(page, base: str, key: str, language: str) -> None:
    page.goto(f"{base}/dashboard?lang={language}")
    assert "/dashboard/sign-in" in page.url
    page.fill("#key", key)
    page.click("form.signin button[type=submit]")
    assert page.url.split("?")[0].rstrip("/").endswith("/dashboard")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_quality_managers_month_on_desktop_and_phone_in_both_languages(
    browser, config, db, api_key, js
):
    month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    _seed(db, config, api_key, month)
    reader = api_key("read")
    key = api_key("admin")["Authorization"][7:]
    SHOTS.mkdir(parents=True, exist_ok=True)
    served = config | {"DASHBOARD_COOKIE_SECURE": "false"}
    with ui.serve(aggregator.create_app, served) as (app, base):
        api = app.test_client().get(
            f"/api/v1/metrics/monthly?from={month}&to={month}", headers=reader
        )
        row = api.get_json()["rows"][0]
        for window, viewport in WINDOWS.items():
            for language in ("en-US", "zh-CN"):
                context = browser.new_context(
                    viewport=viewport, bypass_csp=True, java_script_enabled=js
                )
                context.set_default_timeout(10_000)
                page = context.new_page()
                page.goto(f"{base}/dashboard/sign-in?lang={language}")
                _checked(page, "sign-in", window, language, js)
                _sign_in(page, base, key, language)
                assert page.locator("html").get_attribute("lang") == language
                tile = page.locator('[data-tile="csat"] .value')
                assert tile.inner_text() == f"{row['csat']['value']:.1f}"
                trend = page.locator(f'#trend tr[data-month="{month}"]')
                assert trend.locator("td.nps").inner_text() == f"{row['nps']['value']:.1f}"
                assert trend.locator("td.ces").inner_text() == f"{row['ces']['value']:.2f}"
                assert page.locator("svg.chart").count() == 3
                _checked(page, "overview", window, language, js)
                page.goto(f"{base}/dashboard/comments?month={month}&band=csat-1-2")
                assert page.locator("#comment-list > li").count() == 4  # two here, two follow-ups
                _checked(page, "comments", window, language, js)
                page.goto(f"{base}/dashboard?month={month}")
                first = page.locator("#follow-ups > li").first
                first.locator("summary").click()
                first.locator("input[name=assignee]").fill("")
                first.get_by_role(
                    "button", name="Assign" if language == "en-US" else "指派"
                ).click()
                assert page.locator("h1").inner_text() in ("Not done", "未完成")
                _checked(page, "refused", window, language, js)
                context.close()
        # The walk itself, once per JavaScript setting: acknowledge, then resolve the overdue one.
        context = browser.new_context(viewport=DESKTOP, bypass_csp=True, java_script_enabled=js)
        context.set_default_timeout(10_000)
        page = context.new_page()
        _sign_in(page, base, key, "en-US")
        alerts = page.locator("#alerts > li[data-alert]")
        open_alerts = alerts.count()
        acknowledged = alerts.first.get_attribute("data-alert")
        assert open_alerts >= 1
        alerts.first.get_by_role("button").click()
        assert alerts.count() == open_alerts - 1
        assert db.alerts.find_one({"_id": acknowledged})["status"] == "acknowledged"
        overdue = page.locator("#follow-ups > li.overdue")
        assert overdue.get_attribute("data-follow-up") == "chat:T2"
        overdue.locator("summary").click()
        overdue.get_by_label("Root cause").fill("Refund delayed by the bank")
        overdue.get_by_label("Action taken").fill("Refunded and apologised")
        overdue.get_by_role("button", name="Resolve").click()
        assert page.locator('#resolved > li[data-follow-up="chat:T2"]').count() == 1
        assert page.locator('#follow-ups > li[data-follow-up="chat:T2"]').count() == 0
        assert db.follow_ups.find_one({"_id": "chat:T2"})["status"] == "resolved"
        context.close()
