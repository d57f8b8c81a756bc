"""A report the folding worker keeps moving under (it committed during every read) answers a
503 that says when to come back, never a 500."""

from __future__ import annotations

import itertools

from survey_core.reports import snapshot


def test_a_report_read_under_constant_folding_is_a_503_with_retry_after(
    client, api_key, monkeypatch
):
    moved = itertools.count(10**9)  # never the watermark the snapshot read
    monkeypatch.setattr(snapshot.reads, "seq", lambda db: next(moved))  # a fold every read
    answer = client.get("/api/v1/metrics/monthly?from=2026-11&to=2026-12", headers=api_key())
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "reports_busy"
    assert answer.headers["Retry-After"] == "1"
