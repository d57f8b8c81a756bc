"""Quality management, the writes: complaints and their escalation rules and alerts, follow-ups
of unhappy responses, monitor scores, agents' self-ratings and thank-you letters."""

from __future__ import annotations

from flask_smorest import Blueprint


def blueprints() -> list[Blueprint]:
    from aggregator.quality import complaints, follow_ups, monitoring

    return [complaints.bp, follow_ups.bp, monitoring.bp]
