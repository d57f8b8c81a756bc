"""QA sampling (read scope): a reproducible random sample of a month's contacts for monitors
to score, spread evenly over agents and over the month, leaving out contacts already scored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from aggregator.reports.schemas import Month
from survey_core.fields import StrictString
from survey_core.monitoring import store
from survey_core.reports import sampling
from survey_core.responses import reads
from survey_core.responses.events import parts_of
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.openapi import AUTH_ERRORS, error_responses

bp = Blueprint(
    "qa_sample",
    __name__,
    url_prefix="/api/v1",
    description="Contacts for QA monitors to score: a reproducible sample (read scope).",
)
NEVER = datetime.min.replace(tzinfo=UTC)  # a record without a time sorts first


class SampleQuery(Schema):
    month = Month(required=True)
    per_agent = fields.Integer(load_default=5, validate=validate.Range(1, 50))
    detractors = fields.Float(
        load_default=1.0,
        validate=validate.Range(1, 10),
        metadata={"description": "How many times likelier a detractor is drawn (1: no weight)."},
    )
    seed = StrictString(
        load_default=None,
        validate=validate.Length(1, 64),
        metadata={"description": "Another seed, another sample (default: the month)."},
    )
    agent = StrictString(load_default=None, validate=validate.Length(1, 128))


class SampledContact(Schema):
    channel = StrictString()
    interaction_id = StrictString()
    agent = StrictString()
    at = fields.DateTime(allow_none=True, metadata={"description": "When the customer answered."})
    detractor = fields.Boolean(metadata={"description": "NPS 0-6, else CSAT 1-2."})
    csat = fields.Integer(allow_none=True)
    nps = fields.Integer(allow_none=True)
    ces = fields.Integer(allow_none=True)


class Sample(Schema):
    month = StrictString()
    per_agent = fields.Integer()
    detractors = fields.Float()
    seed = StrictString()
    agents = fields.Integer(metadata={"description": "Agents with a contact left to score."})
    scored_left_out = fields.Integer(metadata={"description": "Contacts already scored."})
    contacts = fields.List(fields.Nested(SampledContact))


@bp.get("/qa/sample")
@require_api_key("read")
@bp.arguments(SampleQuery, location="query")
@error_responses(bp, {**AUTH_ERRORS, 422: "`validation_error`."})
@bp.response(200, Sample)
def qa_sample(query: dict[str, Any]) -> dict[str, Any]:
    """Up to `per_agent` contacts per agent, one from each equal stretch of the agent's month,
    none already scored by a monitor; the same query always gives the same sample."""
    return sample_of(
        query["month"], query["per_agent"], query["detractors"], query["seed"], query["agent"]
    )


def sample_of(
    month: str, per_agent: int, detractors: float, seed: str | None, agent: str | None = None
) -> dict[str, Any]:
    """The QA sample of `month` (only `agent`'s when named), as the API answers it."""
    db = get_db()
    frame = {d["_id"]: d for d in reads.sampling_frame(db, month, agent)}
    scored = store.scored_among(db, sorted(frame))
    contacts = [
        sampling.Contact(
            rid,
            d["agent_id"],
            d.get("submitted_at") or d.get("started_at") or NEVER,
            sampling.is_detractor(d.get("scores") or {}),
        )
        for rid, d in frame.items()
    ]
    chosen = sampling.sample(contacts, per_agent, seed or month, scored, detractors)
    rows = []
    for c in chosen:
        channel, interaction = parts_of(c.rid)
        scores = frame[c.rid].get("scores") or {}
        rows.append(
            {
                "channel": channel,
                "interaction_id": interaction,
                "agent": c.agent,
                "at": c.at if c.at is not NEVER else None,
                "detractor": c.detractor,
                **{metric: scores.get(metric) for metric in ("csat", "nps", "ces")},
            }
        )
    return {
        "month": month,
        "per_agent": per_agent,
        "detractors": detractors,
        "seed": seed or month,
        "agents": len({c.agent for c in chosen}),
        "scored_left_out": len(scored),
        "contacts": rows,
    }
