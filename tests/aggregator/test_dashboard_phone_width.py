"""The dashboard on a 390 px phone stays 390 px wide whatever customers wrote (headless
Chromium), and a recorded comment is a link, never a dict."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import aggregator
import tests.browser as ui
from survey_core.months import month_of
from tests.aggregator.test_dashboard_comments import PLAYED, TWILIO_URL, _call_with_recording
from tests.pipeline import fold, submit

ui.skip_without_browser()
pytestmark = pytest.mark.slow


def test_a_phone_page_stays_390px_wide_with_long_unbroken_comments(browser, config, db, api_key):
    month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    _call_with_recording(db, month, {"url": TWILIO_URL + "x" * 200, "duration": 7})
    meta = {
        "channel": "chat",
        "interaction_id": "long",
        "agent_id": "A" + "9" * 80,
        "survey": "post-contact",
        "version": 1,
        "month": month,
    }
    unbroken = "无法登录" * 60 + "x" * 300
    submit(db, meta, {"csat": 1, "comment": unbroken}, qtypes={"csat": "csat", "comment": "text"})
    fold(db)
    key = api_key("read")["Authorization"][7:]
    with ui.serve(aggregator.create_app, config | {"DASHBOARD_COOKIE_SECURE": "false"}) as (
        _app,
        base,
    ):
        context = browser.new_context(viewport=ui.PHONE, bypass_csp=True)
        context.set_default_timeout(5_000)
        page = context.new_page()
        page.goto(f"{base}/dashboard?lang=en-US")
        page.fill("#key", key)
        page.click("button[type=submit]")
        page.wait_for_load_state("load")  # its stylesheet too, before anything is measured
        assert page.url.rstrip("/").endswith("/dashboard")
        comments = page.inner_text("#comments")
        assert "Recording, 7 s" in comments and "{'url'" not in comments
        assert page.locator("#comments a.recording").get_attribute("href") == PLAYED
        assert page.evaluate("document.documentElement.scrollWidth") == ui.PHONE["width"]
        context.close()
