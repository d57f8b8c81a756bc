"""The dashboard's comment list: a month's comments filtered by score band and by agent, team,
reason and channel, a page at a time, each with its scores and a link to its contact; filters
that cannot be are a 422 page naming them, never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import aggregator
from survey_core.months import month_of
from tests.aggregator.test_dashboard import sign_in
from tests.pipeline import fold, submit

QTYPES = {"csat": "csat", "nps": "nps", "ces": "ces", "comment": "text"}


@pytest.fixture
def client(config, api_key):
    client = aggregator.create_app(config).test_client()
    sign_in(client, api_key("read")["Authorization"][7:])
    return client


@pytest.fixture
def month(config, db) -> str:
    month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    # (interaction, agent, team, reason, channel, nps, csat)
    contacts = [
        ("I1", "A1", "north", "billing", "chat", 3, 1),
        ("I2", "A1", "north", "login", "email", 8, 4),
        ("I3", "A2", "south", "billing", "chat", 10, 5),
        ("I4", "A2", "south", "billing", "chat", 6, 2),
        ("I 5/é", "A3", "south", "billing", "web", 0, 1),
    ]
    for interaction, agent, team, reason, channel, nps, csat in contacts:
        meta = {
            "channel": channel,
            "interaction_id": interaction,
            "agent_id": agent,
            "team": team,
            "reason": reason,
            "survey": "post-contact",
            "version": 1,
            "month": month,
        }
        answers = {"csat": csat, "nps": nps, "comment": f"said {interaction}"}
        submit(db, meta, answers, qtypes=QTYPES)
    meta = {
        "channel": "training",
        "interaction_id": "S1",
        "survey": "training",
        "version": 1,
        "month": month,
    }
    submit(db, meta, {"nps": 0, "comment": "a trainee's words"}, qtypes=QTYPES)
    fold(db)
    return month


def _shown(client, query: str) -> list[str]:
    html = client.get(f"/dashboard/comments?lang=en-US&{query}").get_data(as_text=True)
    return re.findall(r"<q>said ([^<]+)</q>", html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"I1", "I2", "I3", "I4", "I 5/é"}),
        ("band=nps-detractors", {"I1", "I4", "I 5/é"}),
        ("band=nps-passives", {"I2"}),
        ("band=nps-promoters", {"I3"}),
        ("band=csat-1-2", {"I1", "I4", "I 5/é"}),
        ("band=csat-4-5", {"I2", "I3"}),
        ("agent=A1", {"I1", "I2"}),
        ("team=south&reason=billing", {"I3", "I4", "I 5/é"}),
        ("channel=chat&band=nps-detractors", {"I1", "I4"}),
        ("channel=training", set()),  # never a trainee's comment
        ("reason=login&agent=A2", set()),
    ],
)
def test_comments_are_filtered_by_band_and_dimension(client, month, query, expected):
    assert set(_shown(client, f"month={month}&{query}")) == expected


def test_each_comment_shows_its_scores_and_links_to_its_contact(client, month):
    html = client.get(f"/dashboard/comments?month={month}&agent=A3&lang=en-US").get_data(
        as_text=True
    )
    item = re.search(r'<ul id="comment-list"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert '<p class="scores">CSAT 1 · NPS 0</p>' in item
    assert 'href="/dashboard/contacts/web/I%205%2F%C3%A9"' in item


def test_comments_come_a_page_at_a_time(client, month, db, monkeypatch):
    monkeypatch.setattr("aggregator.reports.comments.PAGE_SIZE", 2)
    pages = []
    for page in (1, 2, 3):
        html = client.get(f"/dashboard/comments?month={month}&page={page}&lang=en-US").get_data(
            as_text=True
        )
        pages.append(
            (re.findall(r"<q>said ([^<]+)</q>", html), 'rel="next"' in html, 'rel="prev"' in html)
        )
    assert [len(shown) for shown, _, _ in pages] == [2, 2, 1]
    assert [(more, back) for _, more, back in pages] == [(True, False), (True, True), (False, True)]
    assert len({c for shown, _, _ in pages for c in shown}) == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("band=everyone", "Score band"),
        ("band[$ne]=x", None),  # not our parameter: ignored
        ("agent=" + "x" * 129, "Agent"),
        ("team=a%00b", "Team"),
        ("reason=a%0Ab", "Reason"),
        ("page=0", "Page"),
        ("page=-1", "Page"),
        ("page=1e3", "Page"),
        ("page=99999999999999999999", "Page"),
        ("page=%D9%A3", "Page"),  # an Arabic-Indic three
    ],
)
def test_filters_that_cannot_be_are_a_422_naming_them(client, month, query, field):
    response = client.get(f"/dashboard/comments?month={month}&lang=en-US&{query}")
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert f"<li>{field}: " in response.get_data(as_text=True)


def test_the_comment_list_needs_a_signed_in_browser(config, month):
    anonymous = aggregator.create_app(config).test_client()
    assert anonymous.get("/dashboard/comments").status_code == 302


def test_switching_language_keeps_the_filters(client, month):
    html = client.get(f"/dashboard/comments?month={month}&band=csat-1-2&agent=A%261&lang=en-US")
    link = re.search(r'<a href="([^"]+)" lang="zh-CN"', html.get_data(as_text=True)).group(1)
    assert link == f"?lang=zh-CN&amp;month={month}&amp;band=csat-1-2&amp;agent=A%261"
