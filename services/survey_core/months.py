"""Calendar months in the contact centre's time zone; timestamps are stored in UTC."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\Z")  # \Z: "$" admits a final newline


def month_of(moment: datetime, tz: ZoneInfo) -> str:
    """The "YYYY-MM" month that `moment` (aware, any zone) falls in, in zone `tz`."""
    if moment.tzinfo is None:
        raise ValueError("month_of needs an aware datetime")
    return moment.astimezone(tz).strftime("%Y-%m")


def parse_month(text: str) -> tuple[int, int]:
    """(year, month) of a "YYYY-MM" string; ValueError otherwise."""
    match = MONTH_RE.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a month in YYYY-MM form")
    return int(match.group(1)), int(match.group(2))


def months_ending(last: str, count: int) -> list[str]:
    """The `count` months that end with `last`, oldest first."""
    year, month = parse_month(last)
    index = year * 12 + month - 1 - (count - 1)
    return month_range(f"{index // 12:04d}-{index % 12 + 1:02d}", last)


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive."""
    year, month = parse_month(first)
    end = parse_month(last)
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
