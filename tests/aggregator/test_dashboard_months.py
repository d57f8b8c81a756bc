"""The month a dashboard page is asked for: one our records can hold (2000-2099), else this
month; never an error from counting months back past year 0."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import aggregator
from survey_core.months import month_of
from tests.aggregator.test_dashboard import sign_in

PAGES = ["/dashboard", "/dashboard/comments", "/dashboard/qa-sample", "/dashboard/agents/A1"]


@pytest.mark.parametrize("asked", ["0000-01", "0001-12", "1999-12", "2100-01", "9999-12"])
@pytest.mark.parametrize("page", PAGES)
def test_a_month_outside_the_records_years_shows_this_month(client, api_key, config, page, asked):
    this_month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    sign_in(client, api_key("read")["Authorization"][7:])
    shown = client.get(f"{page}?month={asked}&lang=en-US")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200, html[:300]
    assert f'<option value="{this_month}" selected' in html
    assert asked not in html


@pytest.mark.parametrize("page", PAGES)
def test_the_first_and_last_months_of_the_records_years_are_shown(client, api_key, page):
    sign_in(client, api_key("read")["Authorization"][7:])
    for month in ("2000-01", "2099-12"):
        shown = client.get(f"{page}?month={month}&lang=en-US")
        html = shown.get_data(as_text=True)
        assert shown.status_code == 200 and f'<option value="{month}" selected' in html
