"""The response dimensions: one table that events, records, rollups, rebuild, webhooks,
follow-ups, the services' schemas and the reports' filters all derive from.

A dimension has a report name (`agent`: filters, breakdowns, rollup documents) and a field
(`agent_id`: events' meta, records, webhook payloads, follow-up queue entries). Where its value
comes from decides where it counts:
- contact: given with the contact (the IVR's voice URL, a call-back, an invitation, an import
  row); files customer figures;
- service: set by the service that takes the response (channel, survey); files customer
  figures;
- training: a training evaluation's (trainer, session); counts only under its own documents,
  never in customer figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from marshmallow import Schema

from survey_core.fields import StrictString

TRAINING_CHANNEL = "training"  # the channel of every training evaluation


class Source(StrEnum):
    CONTACT = "contact"
    SERVICE = "service"
    TRAINING = "training"


@dataclass(frozen=True)
class Dimension:
    name: str  # in reports: a filter, a breakdown's `by`, a rollup document's `dim`
    field: str  # on events' meta and the response record
    source: Source
    description: str


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("channel", "channel", Source.SERVICE, "The channel: ivr, web, chat, email, sms."),
    Dimension("agent", "agent_id", Source.CONTACT, "The agent who handled the contact."),
    Dimension("team", "team", Source.CONTACT, "The agent's team."),
    Dimension("reason", "reason", Source.CONTACT, "Why the customer made contact."),
    Dimension("survey", "survey", Source.SERVICE, "The survey's slug."),
    Dimension("trainer", "trainer_id", Source.TRAINING, "The trainer of a training session."),
    Dimension("session", "session_id", Source.TRAINING, "A training session."),
)

# Customer figures: name -> field, in table order (the rollup cell's key follows this order).
CUSTOMER: dict[str, str] = {d.name: d.field for d in DIMENSIONS if d.source is not Source.TRAINING}
# A training evaluation's own documents: name -> field.
TRAINING: dict[str, str] = {d.name: d.field for d in DIMENSIONS if d.source is Source.TRAINING}
# Given with a contact, by whoever hands it to us.
CONTACT: tuple[Dimension, ...] = tuple(d for d in DIMENSIONS if d.source is Source.CONTACT)
# Every dimension's field, as events carry them.
FIELDS: tuple[str, ...] = tuple(d.field for d in DIMENSIONS)
CUSTOMER_FIELDS: tuple[str, ...] = tuple(CUSTOMER.values())
NAMED: dict[str, Dimension] = {d.name: d for d in DIMENSIONS}
CUSTOMER_DIMENSIONS: tuple[Dimension, ...] = tuple(NAMED[name] for name in CUSTOMER)


def schema_of(found: Iterable[Dimension], **options: Any) -> type[Schema]:
    """A marshmallow schema with one string field per dimension, by report name (`options`
    for every field: `load_default`, `validate`, ...); services' schemas inherit it."""
    return Schema.from_dict(
        {d.name: StrictString(metadata={"description": d.description}, **options) for d in found},
        name="Dimensions",
    )
