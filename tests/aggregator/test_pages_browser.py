"""The contact, agent and QA sample pages in headless Chromium at 1366x900 and 390x844, with
JavaScript on and off, in zh-CN and en-US: no horizontal overflow whatever customers wrote, no
serious or critical axe-core violation, the recording plays from the service; screenshots in
var/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import aggregator
import tests.browser as ui
from survey_core.follow_ups.store import drain_queue
from survey_core.months import month_of
from tests.aggregator.test_contact_pages import RECORDING_URL, _quality_records, twilio  # noqa: F401
from tests.aggregator.test_dashboard_comments import _call_with_recording
from tests.pipeline import fold, submit

ui.skip_without_browser()
pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LONG = "无法登录" * 40 + "x" * 200  # one unbroken word, wider than any screen


def _seed(db, month: str) -> None:
    _call_with_recording(db, month, {"url": RECORDING_URL, "duration": 7})
    db.responses.update_one({"_id": "ivr:CA1"}, {"$set": {"transcripts.comment": LONG}})
    for i in range(6):
        meta = {"channel": "chat", "interaction_id": f"长工单-{i}-" + "y" * 60, "agent_id": "A7"}
        meta.update(team="north", reason="billing", survey="post-contact", version=1, month=month)
        submit(
            db,
            meta,
            {"csat": 1 + i % 5, "nps": 2 * i, "ces": 3, "comment": LONG},
            qtypes={"csat": "csat", "nps": "nps", "ces": "ces", "comment": "text"},
        )
    fold(db)


def test_the_pages_fit_both_screens_in_both_languages_with_and_without_javascript(
    browser,
    config,
    db,
    api_key,
    twilio,  # noqa: F811
):
    base_twilio, asked, _ = twilio
    app_config = config | {"DASHBOARD_COOKIE_SECURE": "false", "TWILIO_API_BASE_URL": base_twilio}
    month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    _seed(db, month)
    key = api_key("read")["Authorization"][7:]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with ui.serve(aggregator.create_app, app_config) as (app, base):
        _quality_records(app.test_client(), api_key, "ivr", "CA1", "A7")
        drain_queue(db, app.config["SETTINGS"])
        pages = {
            "contact": "/dashboard/contacts/ivr/CA1",
            "agent": f"/dashboard/agents/A7?month={month}",
            "qa-sample": f"/dashboard/qa-sample?month={month}&per_agent=3&detractors=2",
        }
        for script in (True, False):
            for size, viewport in SIZES.items():
                context = browser.new_context(
                    viewport=viewport, bypass_csp=True, java_script_enabled=script
                )
                context.set_default_timeout(5_000)
                page = context.new_page()
                page.goto(f"{base}/dashboard/sign-in?lang=en-US")
                page.fill("#key", key)
                page.click("button[type=submit]")
                for lang, heading in (("en-US", "Contact"), ("zh-CN", "联系记录")):
                    for name, path in pages.items():
                        joiner = "&" if "?" in path else "?"
                        response = page.goto(f"{base}{path}{joiner}lang={lang}")
                        assert response is not None and response.status == 200, (name, lang)
                        assert page.locator("html").get_attribute("lang") == lang
                        if name == "contact":
                            assert heading in page.inner_text("h1")
                        width = page.evaluate("document.documentElement.scrollWidth")
                        assert width <= viewport["width"], (name, lang, size, script, width)
                        if script:
                            assert ui.axe_violations(page) == [], (name, lang, size)
                        mode = "js" if script else "nojs"
                        page.screenshot(
                            path=str(SHOTS / f"{name}-{lang}-{size}-{mode}.png"), full_page=True
                        )
                if script and size == "phone":
                    page.goto(f"{base}/dashboard/contacts/ivr/CA1?lang=en-US")
                    src = page.locator("audio").get_attribute("src")
                    played = page.evaluate(
                        "src => fetch(src).then(r => [r.status, r.headers.get('content-type')])",
                        src,
                    )
                    assert played == [200, "audio/mpeg"]
                context.close()
    assert asked, "the recording was fetched from the Twilio stand-in"
