"""Calendar months in the configured zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey_core.months import month_of, month_range, parse_month

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_late_evening_utc_on_the_last_day_is_next_month_in_shanghai():
    assert month_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), SHANGHAI) == "2026-11"
    assert month_of(datetime(2026, 10, 31, 15, 59, 59, tzinfo=UTC), SHANGHAI) == "2026-10"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        month_of(datetime(2026, 10, 31), SHANGHAI)


def test_month_range_crosses_years():
    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_range("2026-03", "2026-02") == []


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-01", "2026-1", "", "2026/01"])
def test_malformed_months_are_refused(text):
    with pytest.raises(ValueError):
        parse_month(text)


@given(st.integers(2000, 2100), st.integers(1, 12), st.integers(0, 60))
def test_month_range_length(year, month, extra):
    first = f"{year:04d}-{month:02d}"
    months = month_range(first, month_range(first, "2200-01")[extra])
    assert len(months) == extra + 1 and months[0] == first
