"""marshmallow fields for JSON bodies that refuse what the defaults coerce or overflow.

- `StrictFloat`: a JSON number only ("0.5" and `true` are refused, not coerced).
- `StrictBoolean`: JSON `true` or `false` only (marshmallow's `truthy={True}` still takes 1,
  since 1 == True).
- `Instant`: a date-time with its UTC offset, returned in UTC, written in the years a contact
  centre's records can hold (2000-2099); outside them it is a 422, never an overflow in the
  UTC conversion (year 1 at +04:00). JSON Schema cannot bound a date-time, so the range is in
  the description only (a pattern on the year makes generators discard most date-times).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields

YEARS = range(2000, 2100)  # the year as written, before the offset is applied


class StrictFloat(fields.Float):
    """A JSON number: a string ("0.5") or a boolean is refused, not coerced."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: 1, 0, "true" and "yes" are refused, not coerced."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Instant(fields.AwareDateTime):
    """An ISO 8601 date-time with a UTC offset in the years 2000-2099, loaded in UTC."""

    default_error_messages = {"range": "The year must be between 2000 and 2099."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"description": "ISO 8601 with a UTC offset, in the years 2000-2099."}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.year not in YEARS:
            raise self.make_error("range")
        return moment.astimezone(UTC)
