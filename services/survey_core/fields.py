"""marshmallow fields for JSON bodies that refuse what the defaults coerce or overflow.

- `StrictString`: every string of every schema (bodies, query strings, forms). Refused
  everywhere (a 422, never a 500 when the driver or the log cannot encode it): lone UTF-16
  surrogates (`"\\ud800"`: UTF-8 cannot hold them), NUL and the other C0 and C1 control
  characters, DEL and the Unicode noncharacters. A name (the default: ids, agents, teams,
  reasons, categories, tokens) also refuses tabs, line breaks, the line and paragraph separators
  and the bidirectional embedding, override and isolate controls (text that reads otherwise than
  it sorts); free text (`multiline=True`: comments, notes, prompts) keeps tabs and line breaks.
- `DictKey`: a key of a stored object: a name that is not empty, does not start with `$` (a
  query operator) and holds no dot (a path); `StrictDict` takes only `DictKey` keys and a
  declared field for its values, so no object is stored as given.
- `StrictFloat`: a JSON number only ("0.5" and `true` are refused, not coerced).
- `StrictBoolean`: JSON `true` or `false` only (marshmallow's `truthy={True}` still takes 1,
  since 1 == True).
- `Instant`: a date-time with its UTC offset, returned in UTC, written in the years a contact
  centre's records can hold (2000-2099); outside them it is a 422, never an overflow in the
  UTC conversion (year 1 at +04:00). JSON Schema cannot bound a date-time, so the range is in
  the description only (a pattern on the year makes generators discard most date-times).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import fields

YEARS = range(2000, 2100)  # the year as written, before the offset is applied

# Never in a stored string: lone surrogates, C0 controls but tab and line breaks, DEL and C1
# controls, the noncharacters (U+FDD0-U+FDEF and the last two code points of every plane).
_PLANE_ENDS = "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(17))
_NEVER = "\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef" + _PLANE_ENDS
# Not in a name either: tab, line breaks, line and paragraph separators, bidi controls.
_NOT_IN_NAME = "\t\n\r\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSTORABLE = re.compile(f"[{_NEVER}]")
NOT_A_NAME = re.compile(f"[{_NEVER}{_NOT_IN_NAME}]")


def storable(value: str, multiline: bool = False) -> bool:
    """Whether `value` holds only characters a stored string may hold (see the module)."""
    return (UNSTORABLE if multiline else NOT_A_NAME).search(value) is None


class StrictString(fields.String):
    """A string that can be stored: a name by default, free text with `multiline=True`."""

    default_error_messages = {
        "unstorable": "Contains a character that cannot be stored (a lone surrogate, NUL or "
        "another control character).",
        "not_a_name": "Must be one line without control characters, tabs, line breaks or "
        "direction overrides.",
    }

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if UNSTORABLE.search(text):
            raise self.make_error("unstorable")
        if not self.multiline and NOT_A_NAME.search(text):
            raise self.make_error("not_a_name")
        return text


class DictKey(StrictString):
    """A key of a stored object: a non-empty name, no leading `$`, no dot."""

    default_error_messages = {"key": "A key must not be empty, start with $ or hold a dot."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        key = super()._deserialize(value, attr, data, **kwargs)
        if not key or key.startswith("$") or "." in key:
            raise self.make_error("key")
        return key


class StrictDict(fields.Dict):
    """An object whose keys are `DictKey`s and whose values have a declared field."""

    default_error_messages = {"size": "At most {max_items} entries."}

    def __init__(
        self, *, keys: DictKey, values: fields.Field[Any], max_items: int = 100, **kwargs: Any
    ) -> None:
        if not isinstance(keys, DictKey) or not isinstance(values, fields.Field):
            raise TypeError("StrictDict needs a DictKey for its keys and a field for its values")
        super().__init__(keys=keys, values=values, **kwargs)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, Mapping) and len(value) > self.max_items:
            raise self.make_error("size", max_items=self.max_items)
        # marshmallow leaves Mapping._deserialize (keys and values loaded) unannotated.
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-untyped-call]


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
