"""The dashboard in headless Chromium: sign in, switch month and language, figures equal the
API's, screenshots at desktop and phone width (var/screenshots/), no serious axe violation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import aggregator
import tests.browser as ui
from survey_core.months import month_of
from tests.pipeline import fold, submit

ui.skip_without_browser()
pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}


def _seed(db, month: str) -> None:
    for i, (csat, nps, ces) in enumerate([(5, 10, 1), (4, 9, 2), (2, 3, 4), (5, 7, 2)]):
        meta = {
            "channel": "chat",
            "interaction_id": f"I{i}",
            "agent_id": f"A{i % 2}",
            "team": "north",
            "reason": "billing",
            "survey": "post-contact",
            "version": 1,
            "month": month,
        }
        submit(db, meta, {"csat": csat, "nps": nps, "ces": ces})
    fold(db)


def test_a_manager_signs_in_switches_month_and_language_and_sees_the_apis_figures(
    browser, config, db, api_key
):
    app_month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    _seed(db, app_month)
    reader = api_key("read")
    key = reader["Authorization"][7:]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with ui.serve(aggregator.create_app, config | {"DASHBOARD_COOKIE_SECURE": "false"}) as (
        app,
        base,
    ):
        api = (
            app.test_client()
            .get(f"/api/v1/metrics/monthly?from={app_month}&to={app_month}", headers=reader)
            .get_json()["rows"][0]
        )
        context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
        context.set_default_timeout(5_000)
        page = context.new_page()
        page.goto(f"{base}/dashboard?lang=en-US")
        assert "/dashboard/sign-in" in page.url
        page.fill("#key", key)
        page.click("button[type=submit]")
        assert page.url.rstrip("/").endswith("/dashboard")
        page.select_option("#month", app_month)
        page.click("form.picker button[type=submit]")
        assert page.inner_text("#shown-month") == app_month
        row = page.locator(f'#trend tr[data-month="{app_month}"]')
        assert row.locator("td.csat").inner_text() == f"{api['csat']['value']:.1f}"
        assert row.locator("td.nps").inner_text() == f"{api['nps']['value']:.1f}"
        assert row.locator("td.ces").inner_text() == f"{api['ces']['value']:.2f}"
        assert page.locator("svg polygon.band").count() == 3
        assert ui.axe_violations(page) == []
        page.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)
        page.click('a[hreflang="zh-CN"]')
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert "质量看板" in page.inner_text("h1")
        page.set_viewport_size(ui.PHONE)
        page.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
        assert ui.axe_violations(page) == []
        page.click("form.signout button")
        assert "/dashboard/sign-in" in page.url
        context.close()
