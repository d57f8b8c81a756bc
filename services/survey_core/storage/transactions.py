"""Multi-document transactions with a bounded retry (pymongo's with_transaction retries 120 s)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pymongo.client_session import ClientSession
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from survey_core.documents import Db

T = TypeVar("T")


def _has_label(exc: PyMongoError, label: str) -> bool:
    return isinstance(exc, PyMongoError) and exc.has_error_label(label)


def in_transaction(db: Db, work: Callable[[ClientSession], T], budget_s: float = 2.0) -> T:
    """Run `work(session)` in one transaction; retry transient failures within `budget_s`.

    A request must answer well inside Twilio's 15 s deadline, so unlike
    ClientSession.with_transaction this gives up after `budget_s` and lets the error out.
    """
    deadline = time.monotonic() + budget_s
    attempt = 0
    while True:
        with db.client.start_session() as session:
            try:
                session.start_transaction()
                result = work(session)
                _commit(session, deadline)
                return result
            except (ConnectionFailure, OperationFailure) as exc:
                if session.in_transaction:
                    try:
                        session.abort_transaction()
                    except PyMongoError:
                        pass
                if _has_label(exc, "TransientTransactionError") and time.monotonic() < deadline:
                    # Back off, growing and jittered: two writers that conflicted and retried
                    # in lock-step would conflict again (three fold workers livelocked at 10 ms).
                    attempt += 1
                    time.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))
                    continue
                raise
            except BaseException:
                if session.in_transaction:
                    try:
                        session.abort_transaction()
                    except PyMongoError:
                        pass
                raise


def _commit(session: ClientSession, deadline: float) -> None:
    while True:
        try:
            session.commit_transaction()
            return
        except (ConnectionFailure, OperationFailure) as exc:
            if _has_label(exc, "UnknownTransactionCommitResult") and time.monotonic() < deadline:
                continue  # commit is idempotent: retrying cannot apply the work twice
            raise
