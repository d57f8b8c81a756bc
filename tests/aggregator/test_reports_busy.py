"""A report the folding worker keeps moving under (it committed during every read) is read
from one snapshot, in a read-only transaction; if even that fails, the answer is a 503 that
says when to come back, never a 500."""

from __future__ import annotations

import itertools

from pymongo.errors import OperationFailure

from survey_core.folding import reads
from survey_core.reports import snapshot

MONTHLY = "/api/v1/metrics/monthly?from=2026-11&to=2026-12"


def _always_moving(monkeypatch) -> None:
    moved = itertools.count(10**9)  # never the watermark the snapshot read
    monkeypatch.setattr(snapshot.reads, "seq", lambda db: next(moved))


def test_a_report_read_under_constant_folding_is_read_in_one_transaction(
    client, api_key, monkeypatch
):
    key = api_key()
    calm = client.get(MONTHLY, headers=key).get_json()
    in_transaction = []
    original = snapshot.Snapshot._in_one_transaction

    def watched(self, read, keep):
        in_transaction.append(True)
        return original(self, read, keep)

    monkeypatch.setattr(snapshot.Snapshot, "_in_one_transaction", watched)
    _always_moving(monkeypatch)
    answer = client.get(MONTHLY, headers=key)
    assert answer.status_code == 200
    assert answer.get_json() == calm
    assert in_transaction  # the optimistic tries all failed; the transaction's read answered


def test_a_report_that_cannot_be_read_at_once_is_a_503_with_retry_after(
    client, api_key, monkeypatch
):
    _always_moving(monkeypatch)
    state = reads.watermark_state

    def refused(db, session=None):
        if session is not None:
            raise OperationFailure("snapshot too old", 239)
        return state(db, session)

    monkeypatch.setattr(snapshot.reads, "watermark_state", refused)
    answer = client.get(MONTHLY, headers=api_key())
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "reports_busy"
    assert answer.headers["Retry-After"] == "1"
