"""A trainee evaluates a session in a real browser: headless Chromium on a 390x844 phone.

The training app serves this test's database on a loopback port from a thread (the package's
`app` fixture is overridden here, so `trainer` and `session` make their links through it). A
trainee opens the link the session gave them and taps the labels of the four 1-5 ratings and
of the optional 0-10 recommendation, and writes a comment, in English and in Chinese; axe-core
checks the evaluation form and the thank-you page. Skips, or fails in CI, as
tests/web_survey/test_browser.py does (tests/browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests import browser as ui
from tests.browser import Page, expect
from tests.pipeline import fold
from tests.training_survey.conftest import evaluate
from training_survey import create_app

ui.skip_without_browser()
pytestmark = pytest.mark.slow

LANGUAGES = ("en-US", "zh-CN")
# What the evaluation page says, in (en-US, zh-CN): the legends of the four ratings by key, the
# labels of the scores 1-5, the other questions (optional) and the thank-you page.
SAYS: dict[str | int, tuple[str, str]] = {
    "title": ("Rate this training session", "培训评价"),
    "communication": ("The trainer's communication", "讲师的沟通表达"),
    "clarity": ("Clarity of the explanations", "讲解是否清晰"),
    "interaction": ("Interaction with the trainees", "与学员的互动"),
    "overall": ("Overall", "总体评价"),
    1: ("1 Poor", "1 差"),
    2: ("2 Fair", "2 一般"),
    3: ("3 Good", "3 好"),
    4: ("4 Very good", "4 很好"),
    5: ("5 Excellent", "5 非常好"),
    "recommend": (
        "How likely are you to recommend this session to a colleague? (optional)",
        "您有多大可能向同事推荐这次培训？ (选填)",
    ),
    "comment": ("Anything else you would like to say? (optional)", "其他意见 (选填)"),
    "a comment": ("Clear examples.", "例子讲得很清楚。"),
    "submit": ("Submit", "提交"),
    "thanks heading": ("Thank you", "谢谢"),
    "thanks": ("Thank you for your evaluation!", "感谢您的评价！"),
}
RATINGS = ("communication", "clarity", "interaction", "overall")
GIVEN = {"communication": 4, "clarity": 5, "interaction": 3, "overall": 4}


def wording(language: str) -> dict[str | int, str]:
    column = LANGUAGES.index(language)
    return {key: texts[column] for key, texts in SAYS.items()}


EN = wording("en-US")


@pytest.fixture
def app(config) -> Iterator[Flask]:
    """The training app on 127.0.0.1:<free port>: the sessions' links point at it."""
    with ui.serve(create_app, config) as (app, _base):
        yield app


@pytest.fixture
def links(trainer, session):
    """`links(language)`: the evaluation links of a new session of two trainees."""
    trainer()

    def make(language: str = "en-US") -> list[str]:
        body = session(trainees=["u1", "u2"], language=language)
        return [link["url"] for link in body["links"]]

    return make


# --- what a trainee does and sees -----------------------------------------------------------


def rate(page: Page, words: dict[str | int, str], ratings: dict[str, int]) -> None:
    for key, score in ratings.items():
        ui.choose(page, words[key], words[score])


def rate_all_but_overall(page: Page) -> None:
    """Three ratings, a recommendation of 9 and a comment: everything but `overall`."""
    rate(page, EN, {k: v for k, v in GIVEN.items() if k != "overall"})
    ui.choose(page, EN["recommend"], "9")
    page.get_by_role("textbox", name=EN["comment"]).fill(EN["a comment"])


def expect_the_form(page: Page, words: dict[str | int, str]) -> None:
    """Four 1-5 ratings, each a fieldset named by its legend, then the recommendation 0-10
    and the comment; styled, and no wider than the phone."""
    expect(page).to_have_title(words["title"])
    expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])
    expect(page.locator("fieldset")).to_have_count(6)
    for key in RATINGS:
        group = page.get_by_role("group", name=words[key], exact=True)
        expect(group).to_have_attribute("id", key)
        expect(group.locator("legend")).to_have_text(words[key])
        expect(group.get_by_role("radio")).to_have_count(5)
        expect(group.locator("label")).to_have_text([words[score] for score in range(1, 6)])
    recommend = page.get_by_role("group", name=words["recommend"])
    expect(recommend.get_by_role("radio")).to_have_count(11)
    expect(page.get_by_role("textbox", name=words["comment"])).to_be_empty()
    ui.expect_styled_to_fit_a_phone(page, words["submit"])


def expect_thanks(page: Page, words: dict[str | int, str] = EN) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(words["thanks heading"])
    expect(page.get_by_text(words["thanks"])).to_be_visible()


def expect_overall_missing_and_the_rest_kept(page: Page) -> None:
    ui.expect_unanswered(page, EN["title"], EN["overall"])
    for key in RATINGS[:3]:
        expect(ui.radio(page, EN[key], EN[GIVEN[key]])).to_be_checked()
    expect(ui.radio(page, EN["recommend"], "9")).to_be_checked()
    expect(page.get_by_role("radio", checked=True)).to_have_count(4)
    expect(page.get_by_role("textbox", name=EN["comment"])).to_have_value(EN["a comment"])


def expect_blank_again_then_already_answered(page: Page, url: str) -> None:
    """Reopened, an answered link shows the blank form, as an unused one does (whoever holds
    a session's links must not learn who answered); a resubmission says it was answered."""
    ui.open_link(page, url)
    expect_the_form(page, EN)
    expect(page.locator("input:checked")).to_have_count(0)
    rate(page, EN, GIVEN)
    assert ui.submit(page) == 409
    expect(page.get_by_role("heading", level=1)).to_have_text("Already answered")


def stored(db) -> list[dict]:
    """The complete evaluations, folded, in the order they were given."""
    fold(db)
    found = db.responses.find({"channel": "training", "status": "complete"})
    return list(found.sort("submitted_at"))


# --- the scenarios --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_trainee_rates_the_session_by_tapping_labels_and_is_thanked(
    links, new_page, db, language
):
    words = wording(language)
    page = new_page()
    ui.open_link(page, links(language)[0])
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect_the_form(page, words)

    rate(page, words, {**GIVEN, "overall": 2})
    # A second tap in the same question moves the choice rather than adding one.
    rate(page, words, {"overall": GIVEN["overall"]})
    expect(ui.radio(page, words["overall"], words[2])).not_to_be_checked()
    ui.choose(page, words["recommend"], "9")
    page.get_by_role("textbox", name=words["comment"]).click()
    page.keyboard.type(words["a comment"])
    for key, score in GIVEN.items():
        expect(ui.radio(page, words[key], words[score])).to_be_checked()

    assert ui.submit(page, words["submit"]) == 200
    expect_thanks(page, words)
    expect(page.locator("html")).to_have_attribute("lang", language)
    [record] = stored(db)
    assert record["ratings"] == GIVEN
    assert record["answers"] == {**GIVEN, "recommend": 9, "comment": words["a comment"]}


def test_a_second_trainee_missing_overall_sees_the_summary_and_keeps_the_other_ratings(
    client, links, new_page, db
):
    first, second = links()
    assert evaluate(client, first.rsplit("/", 1)[1]).status_code == 201
    page = new_page()
    ui.open_link(page, second)
    rate_all_but_overall(page)
    assert ui.submit(page) == 422
    expect_overall_missing_and_the_rest_kept(page)
    ui.follow_error_summary(page, EN["overall"], "overall", EN[1])

    ui.choose(page, EN["overall"], EN[5])
    assert ui.submit(page) == 200
    expect_thanks(page)
    assert [record["ratings"]["overall"] for record in stored(db)] == [4, 5]


def test_reopening_an_answered_evaluation_link_shows_a_blank_form_then_already_answered(
    links, new_page
):
    """The page opens as for an unused link (whoever holds the link must not learn who has
    answered); resubmitting says the evaluation was given already."""
    url = links()[0]
    page = new_page()
    ui.open_link(page, url)
    rate(page, EN, GIVEN)
    assert ui.submit(page) == 200
    expect_blank_again_then_already_answered(page, url)


def test_without_javascript_a_trainee_is_checked_kept_and_thanked_the_same(links, new_page, db):
    url = links()[0]
    page = new_page(java_script_enabled=False)
    ui.open_link(page, url)
    expect_the_form(page, EN)
    rate_all_but_overall(page)
    assert ui.submit(page) == 422
    expect_overall_missing_and_the_rest_kept(page)
    ui.choose(page, EN["overall"], EN[3])
    assert ui.submit(page) == 200
    expect_thanks(page)
    expect_blank_again_then_already_answered(page, url)
    [record] = stored(db)
    assert record["ratings"] == {**GIVEN, "overall": 3}


def test_axe_finds_no_serious_or_critical_problems_on_the_evaluation_form_and_thanks(
    links, new_page
):
    page = new_page(bypass_csp=True)
    found: dict[str, list[str]] = {}

    ui.open_link(page, links("zh-CN")[0])
    found["evaluation form (zh-CN)"] = ui.axe_violations(page)
    ui.open_link(page, links()[0])
    found["evaluation form (en-US)"] = ui.axe_violations(page)
    rate_all_but_overall(page)
    assert ui.submit(page) == 422
    found["form with errors"] = ui.axe_violations(page)
    ui.choose(page, EN["overall"], EN[4])
    assert ui.submit(page) == 200
    expect_thanks(page)
    found["thank-you page"] = ui.axe_violations(page)

    assert found == {name: [] for name in found}
