"""Writes to several collections in one round trip: MongoDB 8.0's `bulkWrite` command
(pymongo's `MongoClient.bulk_write`), ordered, so the first write that fails stops the rest.

Inside a transaction it is one statement among the others: a write conflict or a lost
connection is raised as the error the server sent, labels and all (`TransientTransactionError`
reaches `in_transaction`'s retry; pymongo's wrapper would hide it), and a write's own error as
its kind: a duplicate key is a `DuplicateKeyError` whose details name the write's `index`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.errors import ClientBulkWriteException, DuplicateKeyError, OperationFailure

from survey_core.documents import Db

DUPLICATE_KEY = 11000
Write = InsertOne[dict[str, Any]] | ReplaceOne[dict[str, Any]] | UpdateOne | DeleteOne


def namespace(db: Db, collection: str) -> str:
    """The `<database>.<collection>` a write of `write_together` names."""
    return f"{db.name}.{collection}"


def write_together(db: Db, writes: Sequence[Write], session: ClientSession | None = None) -> None:
    """Store `writes` (each made with `namespace=`) in order, in one round trip."""
    try:
        db.client.bulk_write(list(writes), session=session, ordered=True)
    except ClientBulkWriteException as exc:
        if exc.error is not None:  # the command failed as a whole
            raise exc.error from None
        # A document of the server's reply (pymongo's annotation says WriteError).
        raw: Any = exc.write_errors[0] if exc.write_errors else {}
        first = dict(raw if isinstance(raw, Mapping) else getattr(raw, "details", None) or {})
        details = {**first, "index": first.get("idx")}
        message = str(first.get("errmsg", exc))
        if first.get("code") == DUPLICATE_KEY:
            raise DuplicateKeyError(message, DUPLICATE_KEY, details) from None
        raise OperationFailure(message, first.get("code"), details) from None
