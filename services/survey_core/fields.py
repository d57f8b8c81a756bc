"""marshmallow fields for JSON bodies that refuse what the defaults coerce or overflow.

- `StrictFloat`: a JSON number only ("0.5" and `true` are refused, not coerced).
- `Instant`: a date-time with its UTC offset, returned in UTC, within the years a contact
  centre's records can hold (2000-2099); outside them it is a 422, never an overflow in the
  UTC conversion (year 1 at +04:00) or an instant MongoDB cannot store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive


class StrictFloat(fields.Float):
    """A JSON number: a string ("0.5") or a boolean is refused, not coerced."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Instant(fields.AwareDateTime):
    """An ISO 8601 date-time with a UTC offset, loaded as a UTC datetime in 2000-2099."""

    default_error_messages = {
        "range": "Must be between 2000-01-01T00:00:00Z and 2099-12-31T23:59:59Z.",
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"description": "ISO 8601 with a UTC offset, between 2000 and 2099."}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise self.make_error("range") from None
        if not EARLIEST <= moment < LATEST:
            raise self.make_error("range")
        return moment
