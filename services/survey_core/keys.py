"""Keys made of several fields: each field escaped, so two different tuples never share a key.

A field's `%` and the key's separator are percent-escaped (`%25`, `%3A` for `:`, `%7C` for
`|`), then the fields are joined by the separator: splitting at every separator and unescaping
gives the fields back, so the encoding is one-to-one. A field with neither character is
written as it is, so keys of such data are what a plain join made of them (stored ids stay).

With `tail=True` the last field is written verbatim: the fields before it hold no separator
once escaped, so everything after the last of them is the tail. Ids whose last field is free
text (an interaction id after a fixed channel) keep their old form for any last field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ESCAPE = "%"


def _escape(part: str, sep: str) -> str:
    return part.replace(ESCAPE, "%25").replace(sep, f"%{ord(sep):02X}")


def _unescape(part: str) -> str:
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), part)


def _check(sep: str) -> None:
    if len(sep) != 1 or sep == ESCAPE or not sep.isascii():
        raise ValueError(f"a key separator is one ASCII character other than %, not {sep!r}")


def encode(parts: Iterable[object], sep: str = ":", tail: bool = False) -> str:
    """One key for the tuple `parts` (each as `str`); `tail`: the last one verbatim."""
    _check(sep)
    fields = [str(p) for p in parts]
    if not fields:
        raise ValueError("a key needs at least one field")
    if tail:
        return sep.join([*(_escape(f, sep) for f in fields[:-1]), fields[-1]])
    return sep.join(_escape(f, sep) for f in fields)


def decode(key: str, sep: str = ":", fields: int | None = None) -> list[str]:
    """The tuple `encode` made `key` of; `fields`: how many, when it was made with `tail`."""
    _check(sep)
    if fields is None:
        return [_unescape(p) for p in key.split(sep)]
    *head, last = key.split(sep, fields - 1)
    return [*(_unescape(p) for p in head), last]


def monitor_score_id(monitor_id: str, rid: str) -> str:
    """One score per monitor and contact (the monitor id escaped)."""
    return encode([monitor_id, rid], "|", tail=True)
