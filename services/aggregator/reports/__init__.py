"""Reports, read only: monthly CSAT, NPS and CES, breakdowns, the funnel, the trainers, the
complaint rate, calibration and the agents, the QA sample, rows for reporting tools; JSON or
CSV. Each reads one snapshot per request (`survey_core.web.context.snapshot`); none writes (a
test watches the database)."""

from __future__ import annotations

from flask_smorest import Blueprint


def blueprints() -> list[Blueprint]:
    from aggregator.reports import complaints, metrics, qa_sample, quality, reasons, rows, trainers

    return [metrics.bp, trainers.bp, complaints.bp, quality.bp, reasons.bp, qa_sample.bp, rows.bp]
