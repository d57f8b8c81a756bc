"""Both branches of the default questionnaire in Chromium with JavaScript off: a low score opens
a second step asking the reason, a good one goes straight to the thanks; axe checks step 2."""

from __future__ import annotations

import pytest

from tests import browser as ui
from tests.browser import expect
from tests.pipeline import fold
from tests.web_survey.test_browser import CES, CSAT, NPS, expect_thanks, live  # noqa: F401

ui.skip_without_browser()
pytestmark = pytest.mark.slow

REASON = "What was the main reason for your score?"


def _first_step(page, csat: str, nps: str) -> None:
    ui.choose(page, CSAT, csat)
    ui.choose(page, NPS, nps)
    ui.choose(page, CES, "2 Easy")


def test_a_good_score_is_thanked_without_a_second_step(live, new_page, db):  # noqa: F811
    page = new_page(java_script_enabled=False)
    ui.open_link(page, live.invite("T1"))
    expect(page.get_by_role("group", name=REASON)).to_have_count(0)
    _first_step(page, "4 Satisfied", "9")
    assert ui.submit(page) == 200
    expect_thanks(page)
    fold(db)
    assert db.responses.find_one()["answers"] == {"csat": 4, "nps": 9, "ces": 2}


def test_a_low_score_opens_a_second_step_that_asks_the_reason(live, new_page, db):  # noqa: F811
    page = new_page(java_script_enabled=False)
    ui.open_link(page, live.invite("T1"))
    _first_step(page, "2 Dissatisfied", "9")
    assert ui.submit(page) == 200
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Step 2: a few more questions about your answers"
    )
    group = page.get_by_role("group", name=REASON)
    expect(group.get_by_role("radio")).to_have_count(6)
    expect(page.get_by_role("group", name=CSAT)).to_have_count(0)

    page.get_by_role("button", name="Change earlier answers").click()
    expect(ui.radio(page, CSAT, "2 Dissatisfied")).to_be_checked()
    expect(ui.radio(page, NPS, "9")).to_be_checked()
    ui.choose(page, NPS, "3")
    assert ui.submit(page) == 200
    ui.choose(page, REASON, "waiting time")
    assert ui.submit(page) == 200
    expect_thanks(page)
    fold(db)
    record = db.responses.find_one()
    assert record["answers"] == {"csat": 2, "nps": 3, "ces": 2, "low_score_reason": "waiting"}
    assert record["status"] == "complete"


def test_the_second_step_speaks_chinese(live, new_page):  # noqa: F811
    page = new_page(java_script_enabled=False)
    ui.open_link(page, live.invite("T1", lang="zh-CN"))
    ui.choose(page, "您对本次服务满意吗？", "1 非常不满意")
    ui.choose(page, "您有多大可能向朋友推荐我们？", "9")
    ui.choose(page, "解决问题有多容易？", "2 容易")
    assert ui.submit(page, "提交") == 200
    group = page.get_by_role("group", name="您给出这个评分的主要原因是什么？")
    expect(group).to_contain_text("等待时间太长")
    expect(page.get_by_role("heading", level=2)).to_have_text("第2步：根据您的回答，还有几个问题")


def test_axe_finds_no_serious_or_critical_problems_on_the_second_step(live, new_page):  # noqa: F811
    page = new_page(bypass_csp=True)  # axe runs as a script
    ui.open_link(page, live.invite("T1"))
    _first_step(page, "1 Very dissatisfied", "0")
    assert ui.submit(page) == 200
    assert ui.axe_violations(page) == []
