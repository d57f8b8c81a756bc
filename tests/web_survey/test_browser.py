"""The questionnaire page in a real browser: headless Debian Chromium driven by Playwright.

The real app (`web_survey.create_app`) serves this test's database on a loopback port from a
background thread; invitations are made through the JSON API and their `url` is opened the way a
customer would, on a 390x844 phone viewport. axe-core (npm, see package.json: no CDN) checks
the pages for serious and critical accessibility problems.

Without /usr/bin/chromium or node_modules/axe-core the module skips, so `make test` stays green
on a developer's machine; CI sets VOC_REQUIRE_BROWSER=1 (.ci/run), which turns the skip into a
failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.pipeline import fold
from web_survey import create_app
from web_survey.service import catalog

try:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency
    sync_playwright = None

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}

MISSING = [
    what
    for what, ok in [
        (str(CHROMIUM), CHROMIUM.exists()),
        (f"{AXE.relative_to(ROOT)} (run `npm ci`)", AXE.exists()),
        ("the playwright package", sync_playwright is not None),
    ]
    if not ok
]
REQUIRED = os.environ.get("VOC_REQUIRE_BROWSER") == "1"
if MISSING and not REQUIRED:
    pytest.skip(
        "browser tests need " + ", ".join(MISSING) + " (set VOC_REQUIRE_BROWSER=1 to fail instead)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.slow

CSAT = "How satisfied were you with our service?"
NPS = "How likely are you to recommend us?"
CES = "How easy was it to resolve your issue?"
COMMENT = "Anything else you would like to tell us?"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole module (each test gets fresh contexts)."""
    if MISSING:
        pytest.fail("VOC_REQUIRE_BROWSER=1 but the browser tests lack " + ", ".join(MISSING))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Live:
    """The web survey app serving this test's database at `base`."""

    app: Flask
    base: str
    headers: dict[str, str]

    def invite(self, interaction: str = "T1", lang: str = "en-US") -> str:
        """A new invitation's link (made through the JSON API, as an integration would)."""
        body = {"channel": "chat", "interaction_id": interaction, "agent": "A1", "lang": lang}
        response = self.app.test_client().post(
            "/api/v1/invitations", json=body, headers=self.headers
        )
        assert response.status_code in (200, 201), response.get_json()
        url = response.get_json()["url"]
        assert url.startswith(self.base + "/s/")
        return url


@pytest.fixture
def live(config, api_key) -> Iterator[Live]:
    """The real app on 127.0.0.1:<free port>, served from a thread for this test."""
    catalog.clear()
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    # The links the API hands out must point at this server, not config's public host.
    server.app = create_app({**config, "PUBLIC_BASE_URL": base})
    thread = threading.Thread(target=server.serve_forever, name="web-survey", daemon=True)
    thread.start()
    try:
        yield Live(server.app, base, api_key("write"))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _not_ready(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh phone-sized context (options as for `browser.new_context`)."""
    contexts = []

    def make(**options: Any) -> Page:
        context = browser.new_context(viewport=PHONE, **options)
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- what a customer does -------------------------------------------------------------------


def choose(page: Page, question: str, option: str) -> None:
    """Tap the option's label under `question`, as a person would (the radio itself is hidden)."""
    page.get_by_role("group", name=question).get_by_text(option, exact=True).click()


def radio(page: Page, question: str, option: str) -> Locator:
    return page.get_by_role("group", name=question).get_by_role("radio", name=option, exact=True)


def comment_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name=COMMENT)


def submit(page: Page) -> int:
    """Press Submit; the HTTP status of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Submit").click()
    response = navigation.value
    assert response is not None
    return response.status


def answer_all_but_nps(page: Page) -> None:
    choose(page, CSAT, "5 Very satisfied")
    choose(page, CES, "2 Easy")
    comment_box(page).click()
    page.keyboard.type("Quick and kind.")


def open_link(page: Page, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status


def expect_thanks(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.get_by_text("Thank you for your feedback!")).to_be_visible()


def expect_already_answered(page: Page, url: str) -> None:
    open_link(page, url, status=409)
    expect(page.get_by_role("heading", level=1)).to_have_text("Already answered")
    expect(page.get_by_text("You have already answered this survey.")).to_be_visible()


def expect_errors_with_answers_kept(page: Page) -> None:
    """The form again: the summary on top, the message at NPS, every other answer still there."""
    expect(page).to_have_title("Error: How did we do?")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary_link = summary.get_by_role("link", name=f"{NPS}: Please answer this question.")
    expect(summary_link).to_be_visible()
    nps = page.get_by_role("group", name=NPS)
    expect(nps).to_contain_text("Error: Please answer this question.")
    expect(nps).to_have_accessible_description(
        "0 = not at all likely, 10 = extremely likely Error: Please answer this question."
    )
    expect(radio(page, CSAT, "5 Very satisfied")).to_be_checked()
    expect(radio(page, CES, "2 Easy")).to_be_checked()
    expect(comment_box(page)).to_have_value("Quick and kind.")
    expect(page.get_by_role("radio", checked=True)).to_have_count(2)


def follow_error_summary_to_nps(page: Page) -> None:
    """The summary's link takes the customer to the unanswered question."""
    first_nps = radio(page, NPS, "0")
    page.get_by_role("alert").get_by_role("link").click()
    expect(page).to_have_url(page.url.split("#")[0] + "#nps-input")
    expect(first_nps).to_be_focused()
    assert page.evaluate("window.scrollY") > 0
    # Landing on the first option must not hide the question and its message above the fold.
    nps = page.get_by_role("group", name=NPS)
    expect(nps.get_by_text(NPS, exact=True)).to_be_in_viewport(ratio=1)
    expect(nps.get_by_text("Please answer this question.")).to_be_in_viewport(ratio=1)
    expect(first_nps).to_be_in_viewport()


# --- the scenarios --------------------------------------------------------------------------


def test_a_customer_answers_every_question_by_tapping_labels_and_is_thanked(live, new_page, db):
    page = new_page()
    open_link(page, live.invite("T1"))
    expect(page).to_have_title("How did we do?")
    # The stylesheet is served and allowed by the CSP; the page fits a phone's width.
    expect(page.get_by_role("button", name="Submit")).to_have_css(
        "background-color", "rgb(19, 115, 51)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    choose(page, CSAT, "5 Very satisfied")
    choose(page, NPS, "9")
    choose(page, CES, "2 Easy")
    comment_box(page).click()
    page.keyboard.type("Quick and kind.")
    expect(radio(page, CSAT, "5 Very satisfied")).to_be_checked()
    expect(radio(page, NPS, "9")).to_be_checked()
    expect(radio(page, CES, "2 Easy")).to_be_checked()
    # A second tap in the same question moves the choice rather than adding one.
    choose(page, CSAT, "4 Satisfied")
    expect(radio(page, CSAT, "5 Very satisfied")).not_to_be_checked()

    assert submit(page) == 200
    expect_thanks(page)
    fold(db)
    record = db.responses.find_one({"_id": "chat:T1"})
    assert record["status"] == "complete"
    assert record["answers"] == {"csat": 4, "nps": 9, "ces": 2, "comment": "Quick and kind."}


def test_a_missing_answer_shows_the_summary_and_message_and_keeps_every_other_answer(
    live, new_page
):
    page = new_page()
    open_link(page, live.invite("T1"))
    answer_all_but_nps(page)
    assert submit(page) == 422
    expect_errors_with_answers_kept(page)
    follow_error_summary_to_nps(page)

    choose(page, NPS, "10")
    assert submit(page) == 200
    expect_thanks(page)


def test_reopening_an_answered_link_says_already_answered(live, new_page):
    page = new_page()
    url = live.invite("T1")
    open_link(page, url)
    answer_all_but_nps(page)
    choose(page, NPS, "7")
    assert submit(page) == 200
    expect_already_answered(page, url)
    expect(page.get_by_role("button", name="Submit")).to_have_count(0)


def test_the_language_switch_changes_the_page_between_chinese_and_english(live, new_page):
    page = new_page()
    open_link(page, live.invite("T1", lang="zh-CN"))
    switch = page.get_by_role("navigation", name="语言")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("服务满意度调查")
    expect(page.get_by_role("button", name="提交")).to_be_visible()
    expect(page.get_by_role("group", name="您对本次服务满意吗？")).to_contain_text("非常满意")
    expect(switch.get_by_text("中文")).to_have_attribute("aria-current", "true")

    switch.get_by_role("link", name="English").click()
    switch = page.get_by_role("navigation", name="Language")
    expect(page.locator("html")).to_have_attribute("lang", "en-US")
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")
    expect(page.get_by_text("Thank you for contacting us.")).to_be_visible()
    expect(page.get_by_role("group", name=CSAT)).to_contain_text("Very satisfied")
    expect(switch.get_by_text("English")).to_have_attribute("aria-current", "true")

    switch.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("button", name="提交")).to_be_visible()

    # The chosen language stays through the form: an answer in English is thanked in English.
    page.get_by_role("navigation", name="语言").get_by_role("link", name="English").click()
    answer_all_but_nps(page)
    choose(page, NPS, "8")
    assert submit(page) == 200
    expect_thanks(page)
    expect(page.locator("html")).to_have_attribute("lang", "en-US")


def test_without_javascript_the_form_validates_keeps_answers_and_thanks_the_same(live, new_page):
    page = new_page(java_script_enabled=False)
    url = live.invite("T1")
    open_link(page, url)
    answer_all_but_nps(page)
    assert submit(page) == 422
    expect_errors_with_answers_kept(page)
    follow_error_summary_to_nps(page)
    choose(page, NPS, "9")
    assert submit(page) == 200
    expect_thanks(page)
    expect_already_answered(page, url)

    page.goto(live.invite("T2", lang="zh-CN"))
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    # The page's CSP forbids inline script, and add_script_tag(content=...) adds an inline
    # <script>: the context is opened with bypass_csp=True so axe can be injected at all.
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_problems_on_the_form_errors_thanks_and_answered(
    live, new_page
):
    page = new_page(bypass_csp=True)
    url = live.invite("T1")
    found: dict[str, list[str]] = {}

    open_link(page, live.invite("T2", lang="zh-CN"))
    found["fresh form (zh-CN)"] = axe_violations(page)
    open_link(page, url)
    found["fresh form (en-US)"] = axe_violations(page)
    answer_all_but_nps(page)
    assert submit(page) == 422
    found["form with errors"] = axe_violations(page)
    choose(page, NPS, "9")
    assert submit(page) == 200
    expect_thanks(page)
    found["thank-you page"] = axe_violations(page)
    expect_already_answered(page, url)
    found["already-answered page"] = axe_violations(page)

    assert found == {name: [] for name in found}
