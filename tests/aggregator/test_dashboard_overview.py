"""The overview: tiles equal to the API's figures with the month's change and its 95% test,
charts that leave out months before the first with data and never draw an empty month as zero,
points under min-n grey, an honour roll of thanked agents only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import aggregator
from aggregator.dashboard import charts
from survey_core.months import month_of, months_ending
from tests.aggregator.test_dashboard import sign_in
from tests.pipeline import fold, submit

PREVIOUS_CSAT = [5, 5, 5, 5, 4, 4, 4, 4, 2, 1]  # 8 of 10 satisfied
THIS_CSAT = [1, 1, 2, 2, 3, 3, 4, 5, 1, 2]  # 2 of 10: z = -0.6 / sqrt(0.25 x 0.2) = -2.683


@pytest.fixture
def client(config):
    return aggregator.create_app(config).test_client()


def _month(config) -> str:
    return month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)


def _seed(db, month: str, csats: list[int], agent: str = "A1", prefix: str = "") -> None:
    for i, csat in enumerate(csats):
        meta = {
            "channel": "chat",
            "interaction_id": f"{prefix}{month}-{i}",
            "agent_id": agent,
            "team": "north",
            "survey": "post-contact",
            "version": 1,
            "month": month,
        }
        submit(db, meta, {"csat": csat, "nps": 2 * csat, "ces": 6 - csat})


def _tile(html: str, key: str) -> str:
    return re.search(rf'<li class="tile[^"]*" data-tile="{key}">(.*?)</li>', html, re.S).group(1)


def test_the_tiles_show_the_apis_figures_and_the_change_marked_significant_or_not(
    client, api_key, db, config
):
    month = _month(config)
    previous = months_ending(month, 2)[0]
    _seed(db, previous, PREVIOUS_CSAT)
    _seed(db, month, THIS_CSAT)
    fold(db)
    writer, reader = api_key("write"), api_key("read")
    at = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    for i in range(3):  # three complaints now: one open alert; 0 -> 3 is z = 1.73, not significant
        body = {"source": "crm", "external_id": f"C{i}", "category": "login", "occurred_at": at}
        client.post("/api/v1/complaints", json=body, headers=writer)
    sign_in(client, reader["Authorization"][7:])
    html = client.get(f"/dashboard?month={month}&lang=en-US").get_data(as_text=True)
    api = client.get(f"/api/v1/metrics/monthly?from={month}&to={month}", headers=reader)
    row = api.get_json()["rows"][0]
    csat = _tile(html, "csat")
    assert f'<span class="value">{row["csat"]["value"]:.1f}</span>%' in csat
    low, high = row["csat"]["ci"]
    assert 'n = <span class="n">10</span>' in csat and f"{low:.1f}–{high:.1f}" in csat
    assert '<span class="delta">−60.0</span>' in csat and "significant at 95%" in csat
    assert "not significant" not in csat
    assert f'<span class="value">{row["ces"]["value"]:.2f}</span>' in _tile(html, "ces")
    complaints = _tile(html, "complaints")
    assert '<span class="value">3</span>' in complaints and "+3" in complaints
    assert "not significant at 95%" in complaints
    assert '<span class="value">1</span>' in _tile(html, "open_alerts")
    assert '<span class="value">0</span>' in _tile(html, "overdue")
    assert "a count: not tested" in _tile(html, "responses")


def test_a_month_without_a_previous_one_makes_no_test(client, api_key, db, config):
    month = _month(config)
    _seed(db, month, THIS_CSAT)
    fold(db)
    sign_in(client, api_key("read")["Authorization"][7:])
    html = client.get(f"/dashboard?month={month}&lang=en-US").get_data(as_text=True)
    assert "no test: too few answers or no spread" in _tile(html, "csat")


def test_months_before_the_first_with_data_are_left_out_and_gaps_stay_gaps():
    months = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    data = {"2026-03": 80.0, "2026-04": 70.0, "2026-06": 90.0}  # 2026-05 has no answers
    points = [
        charts.Point(
            m,
            data.get(m),
            data[m] - 5 if m in data else None,
            data[m] + 5 if m in data else None,
            30 if m in data else 0,
        )
        for m in months
    ]
    drawn = charts.band_chart(points, 0, 100, 0)
    assert [m["label"] for m in drawn["months"]] == ["03", "04", "05", "06"]
    assert [m["year"] for m in drawn["months"]] == ["2026", None, None, None]
    assert len(drawn["lines"]) == 1 and drawn["lines"][0].count(",") == 2  # March-April only
    assert len(drawn["bands"]) == 1 and len(drawn["whiskers"]) == 1  # June alone: a bar
    assert [d["text"] for d in drawn["dots"]] == ["80", "70", "90"]
    first, last = drawn["months"][0]["x"], drawn["months"][-1]["x"]
    assert first == charts.LEFT + charts.PAD and last == charts.WIDTH - charts.RIGHT - charts.PAD


def test_points_under_min_n_are_grey_in_charts_and_tiles(client, api_key, db, config):
    month = _month(config)
    _seed(db, month, THIS_CSAT)
    fold(db)
    sign_in(client, api_key("read")["Authorization"][7:])
    html = client.get(f"/dashboard?month={month}&lang=en-US&min_n=20").get_data(as_text=True)
    assert html.count('<g class="point low-n">') == 3  # CSAT, NPS, CES
    assert '<li class="tile low-n" data-tile="csat">' in html
    plain = client.get(f"/dashboard?month={month}&lang=en-US&min_n=5").get_data(as_text=True)
    assert 'low-n"' not in plain
    assert plain.count('class="axis-title"') == 6  # a y and an x title per chart


def test_the_honour_roll_lists_only_thanked_agents(client, api_key, db, config):
    month = _month(config)
    _seed(db, month, [5] * 6, agent="A1", prefix="a")
    _seed(db, month, [5] * 6, agent="A2", prefix="b")  # the better CSAT... but never thanked
    _seed(db, month, [4, 4, 4, 4, 2, 2], agent="A3", prefix="c")
    fold(db)
    writer, reader = api_key("write"), api_key("read")
    thanks = {
        "source": "mail",
        "source_id": "t1",
        "agent": "A3",
        "received_at": datetime.now(UTC).isoformat(),
    }
    assert client.post("/api/v1/thanks", json=thanks, headers=writer).status_code == 201
    report = client.get(f"/api/v1/agents/report?month={month}", headers=reader).get_json()
    assert [a["agent"] for a in report["honour_roll"]] == ["A3"]
    sign_in(client, reader["Authorization"][7:])
    html = client.get(f"/dashboard?month={month}&lang=en-US").get_data(as_text=True)
    roll = re.search(r'<ol id="honour">(.*?)</ol>', html, re.S).group(1)
    assert ">A3</a>: 1 thank-you letters" in roll and roll.count("<li>") == 1
