"""The questionnaire page in a real browser: headless Debian Chromium driven by Playwright.

The real app (`web_survey.create_app`) serves this test's database on a loopback port from a
background thread; invitations are made through the JSON API and their `url` is opened the way a
customer would, on a 390x844 phone viewport. axe-core (npm, see package.json: no CDN) checks
the pages for serious and critical accessibility problems.

Without /usr/bin/chromium or node_modules/axe-core the module skips, so `make test` stays green
on a developer's machine; CI sets VOC_REQUIRE_BROWSER=1 (.ci/run), which turns the skip into a
failure. The browser, the live server and the page helpers are tests/browser.py's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask

from tests import browser as ui
from tests.browser import Locator, Page, expect
from tests.pipeline import fold
from web_survey import create_app

ui.skip_without_browser()
pytestmark = pytest.mark.slow

CSAT = "How satisfied were you with our service?"
NPS = "How likely are you to recommend us?"
CES = "How easy was it to resolve your issue?"
COMMENT = "Anything else you would like to tell us?"


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
    with ui.serve(create_app, config) as (app, base):
        yield Live(app, base, api_key("write"))


# --- what a customer does -------------------------------------------------------------------


def comment_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name=COMMENT)


def answer_all_but_nps(page: Page) -> None:
    ui.choose(page, CSAT, "5 Very satisfied")
    ui.choose(page, CES, "2 Easy")
    comment_box(page).click()
    page.keyboard.type("Quick and kind.")


def expect_thanks(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.get_by_text("Thank you for your feedback!")).to_be_visible()


def expect_errors_with_answers_kept(page: Page) -> None:
    """The form again: the summary on top, the message at NPS, every other answer still there."""
    ui.expect_unanswered(page, "How did we do?", NPS)
    expect(page.get_by_role("group", name=NPS)).to_have_accessible_description(
        "0 = not at all likely, 10 = extremely likely Error: Please answer this question."
    )
    expect(ui.radio(page, CSAT, "5 Very satisfied")).to_be_checked()
    expect(ui.radio(page, CES, "2 Easy")).to_be_checked()
    expect(comment_box(page)).to_have_value("Quick and kind.")
    expect(page.get_by_role("radio", checked=True)).to_have_count(2)


# --- the scenarios --------------------------------------------------------------------------


def test_a_customer_answers_every_question_by_tapping_labels_and_is_thanked(live, new_page, db):
    page = new_page()
    ui.open_link(page, live.invite("T1"))
    expect(page).to_have_title("How did we do?")
    ui.expect_styled_to_fit_a_phone(page)

    ui.choose(page, CSAT, "5 Very satisfied")
    ui.choose(page, NPS, "9")
    ui.choose(page, CES, "2 Easy")
    comment_box(page).click()
    page.keyboard.type("Quick and kind.")
    expect(ui.radio(page, CSAT, "5 Very satisfied")).to_be_checked()
    expect(ui.radio(page, NPS, "9")).to_be_checked()
    expect(ui.radio(page, CES, "2 Easy")).to_be_checked()
    # A second tap in the same question moves the choice rather than adding one.
    ui.choose(page, CSAT, "4 Satisfied")
    expect(ui.radio(page, CSAT, "5 Very satisfied")).not_to_be_checked()

    assert ui.submit(page) == 200
    expect_thanks(page)
    fold(db)
    record = db.responses.find_one({"_id": "chat:T1"})
    assert record["status"] == "complete"
    assert record["answers"] == {"csat": 4, "nps": 9, "ces": 2, "comment": "Quick and kind."}


def test_a_missing_answer_shows_the_summary_and_message_and_keeps_every_other_answer(
    live, new_page
):
    page = new_page()
    ui.open_link(page, live.invite("T1"))
    answer_all_but_nps(page)
    assert ui.submit(page) == 422
    expect_errors_with_answers_kept(page)
    ui.follow_error_summary(page, NPS, "nps", "0")

    ui.choose(page, NPS, "10")
    assert ui.submit(page) == 200
    expect_thanks(page)


def test_reopening_an_answered_link_says_already_answered(live, new_page):
    page = new_page()
    url = live.invite("T1")
    ui.open_link(page, url)
    answer_all_but_nps(page)
    ui.choose(page, NPS, "7")
    assert ui.submit(page) == 200
    ui.expect_already_answered(page, url)


def test_the_language_switch_changes_the_page_between_chinese_and_english(live, new_page):
    page = new_page()
    ui.open_link(page, live.invite("T1", lang="zh-CN"))
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
    ui.choose(page, NPS, "8")
    assert ui.submit(page) == 200
    expect_thanks(page)
    expect(page.locator("html")).to_have_attribute("lang", "en-US")


def test_without_javascript_the_form_validates_keeps_answers_and_thanks_the_same(live, new_page):
    page = new_page(java_script_enabled=False)
    url = live.invite("T1")
    ui.open_link(page, url)
    answer_all_but_nps(page)
    assert ui.submit(page) == 422
    expect_errors_with_answers_kept(page)
    ui.follow_error_summary(page, NPS, "nps", "0")
    ui.choose(page, NPS, "9")
    assert ui.submit(page) == 200
    expect_thanks(page)
    ui.expect_already_answered(page, url)

    page.goto(live.invite("T2", lang="zh-CN"))
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")


def test_axe_finds_no_serious_or_critical_problems_on_the_form_errors_thanks_and_answered(
    live, new_page
):
    page = new_page(bypass_csp=True)
    url = live.invite("T1")
    found: dict[str, list[str]] = {}

    ui.open_link(page, live.invite("T2", lang="zh-CN"))
    found["fresh form (zh-CN)"] = ui.axe_violations(page)
    ui.open_link(page, url)
    found["fresh form (en-US)"] = ui.axe_violations(page)
    answer_all_but_nps(page)
    assert ui.submit(page) == 422
    found["form with errors"] = ui.axe_violations(page)
    ui.choose(page, NPS, "9")
    assert ui.submit(page) == 200
    expect_thanks(page)
    found["thank-you page"] = ui.axe_violations(page)
    ui.expect_already_answered(page, url)
    found["already-answered page"] = ui.axe_violations(page)

    assert found == {name: [] for name in found}
