"""The agent page and the QA sample page: the API's figures, the month's quality records, the
contacts to review, each linked to its page; bad choices a 422 page, never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import aggregator
from survey_core.months import month_of
from tests.aggregator.test_dashboard import sign_in
from tests.pipeline import fold, submit


@pytest.fixture
def month(config) -> str:
    return month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)


def _contacts(db, month):
    for i, (agent, csat, nps) in enumerate(
        [("A1", 5, 10), ("A1", 2, 3), ("A1", 4, 8), ("B2", 5, 9)]
    ):
        meta = {"channel": "chat", "interaction_id": f"I{i}", "agent_id": agent, "team": "north"}
        meta.update(survey="post-contact", version=1, month=month, reason="billing")
        submit(db, meta, {"csat": csat, "nps": nps, "ces": 2})
    fold(db)


@pytest.fixture
def client(config, api_key):
    client = aggregator.create_app(config).test_client()
    sign_in(client, api_key("read")["Authorization"][7:])
    return client


def test_the_agent_page_shows_the_apis_months_and_the_months_quality_records(
    client, db, api_key, month
):
    _contacts(db, month)
    writer = api_key("write")
    when = datetime.now(UTC).isoformat()
    score = {"interaction_id": "I0", "channel": "chat", "agent": "A1", "monitor_id": "M1"}
    score.update(scored_at=when, form={"id": "f"}, items=[{"key": "k", "score": 3, "max": 4}])
    assert client.post("/api/v1/monitor-scores", json=score, headers=writer).status_code == 201
    thanks = {"source": "mail", "source_id": "m1", "agent": "A1", "received_at": when}
    assert client.post("/api/v1/thanks", json=thanks, headers=writer).status_code == 201
    api = client.get(
        f"/api/v1/metrics/monthly?from={month}&to={month}&agent=A1", headers=api_key("read")
    ).get_json()["rows"][0]
    html = client.get(f"/dashboard/agents/A1?month={month}").get_data(as_text=True)
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', html, re.S).group(1)
    assert f'<td class="csat">{api["csat"]["value"]:.1f}</td>' in row
    assert f'<td class="nps">{api["nps"]["value"]:.1f}</td>' in row
    low, high = api["csat"]["ci"]
    assert f"{low:.1f}–{high:.1f}" in row
    assert '<span id="score-mean">75.0</span> (n = 1)' in html
    assert "Thank-you letters: 1" in html
    review = re.search(r'<ul id="review" class="links">(.*?)</ul>', html, re.S).group(1)
    assert sorted(re.findall(r"/dashboard/contacts/chat/(I\d)", review)) == ["I1", "I2"]
    assert "detractor" in review  # I1: NPS 3


def test_the_dashboards_sample_is_the_apis_and_links_each_contact(client, db, api_key, month):
    _contacts(db, month)
    api = client.get(
        f"/api/v1/qa/sample?month={month}&per_agent=2&detractors=3", headers=api_key("read")
    ).get_json()
    html = client.get(f"/dashboard/qa-sample?month={month}&per_agent=2&detractors=3")
    assert html.status_code == 200
    shown = re.findall(
        r'<td class="contact"><a href="/dashboard/contacts/chat/(\w+)">',
        html.get_data(as_text=True),
    )
    assert shown == [c["interaction_id"] for c in api["contacts"]] and len(shown) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [("per_agent=0", "per_agent"), ("detractors=nan", "detractors"), ("seed=%00", "seed")],
)
def test_a_bad_choice_on_the_sample_page_is_a_422_page_marking_the_field(
    client, month, query, field
):
    page = client.get(f"/dashboard/qa-sample?{query}")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert f'id="{field}"' in html and 'aria-invalid="true"' in html and 'role="alert"' in html


def test_the_overview_links_agents_and_contacts_to_their_pages(client, db, month):
    _contacts(db, month)
    html = client.get(f"/dashboard?month={month}").get_data(as_text=True)
    by_agent = re.search(r'<table id="by-agent">(.*?)</table>', html, re.S).group(1)
    assert f'<a href="/dashboard/agents/A1?month={month}">A1</a>' in by_agent
    assert f'href="/dashboard/qa-sample?month={month}"' in html
