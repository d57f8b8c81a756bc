"""Documents by a list of keys, an `$in` of at most CHUNK keys at a time.

SecantusDB matches each candidate of an `$in` against the whole list in Python, so one query's
time grows with the square of its length: 1,000 `_id`s took 0.8 s and 2,000 took 3.1 s (past
the request deadline, holding up every other client meanwhile), where the same keys in chunks
of 32 took 64 ms and 217 ms. About 20-50 keys a query is where it is fastest; MongoDB is
indifferent to the size and pays a round trip per chunk. Every look-up by a list that grows
with the data (a month's sessions, a batch's responses, a directory's values) goes through
here; lists bounded by design (a complaint's ~30 counters, a few months) need not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection

CHUNK = 32


def chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    """`keys` in lists of at most CHUNK, in order."""
    batch: list[Any] = []
    for key in keys:
        batch.append(key)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def find_in(
    collection: Collection[dict[str, Any]],
    field: str,
    keys: Iterable[Any],
    query: Mapping[str, Any] | None = None,
    projection: Mapping[str, Any] | None = None,
    session: ClientSession | None = None,
) -> Iterator[dict[str, Any]]:
    """The documents of `collection` whose `field` is one of `keys` (and that match `query`)."""
    for batch in chunks(keys):
        yield from collection.find(
            {**(query or {}), field: {"$in": batch}}, projection, session=session
        )


def delete_in(
    collection: Collection[dict[str, Any]],
    field: str,
    keys: Iterable[Any],
    session: ClientSession | None = None,
) -> int:
    """Delete the documents whose `field` is one of `keys`; how many were deleted."""
    return sum(
        collection.delete_many({field: {"$in": batch}}, session=session).deleted_count
        for batch in chunks(keys)
    )
