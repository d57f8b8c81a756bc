"""What folding some events changes: the records, the rollup deltas, and the lists beside them.

Pure: the worker writes a plan (`folding.batch`); a report folds the events past the watermark
the same way in memory and adds its deltas to the stored rollups, without writing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from survey_core.follow_ups.queue import queued
from survey_core.responses import record, webhooks
from survey_core.responses.events import Kind, response_id
from survey_core.rollups.deltas import Deltas
from survey_core.rollups.layout import Target
from survey_core.surveys.catalog import SurveyOf

log = logging.getLogger("voc.folding")


@dataclass
class Plan:
    """What folding some events changes: records to write, counter deltas to add."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    deltas: Deltas = field(default_factory=Deltas)
    live: list[dict[str, Any]] = field(default_factory=list)  # {"_id"} alone: remove
    participations: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # response webhooks
    unhappy: list[dict[str, Any]] = field(default_factory=list)  # follow-ups to open


def aliases_named(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Other ids of the same response, from open events (a call's CallSid, when the contact
    it is about has another id): `ivr:<CallSid>` -> `ivr:<interaction>`."""
    found = {}
    for ev in events:
        meta = ev.get("meta") or {}
        other = meta.get("call_sid")
        if ev["kind"] == Kind.OPEN and other and other != meta.get("interaction_id"):
            found[response_id(meta["channel"], other)] = ev["rid"]
    return found


def plan(
    events: Sequence[Mapping[str, Any]],
    records: Mapping[str, Mapping[str, Any]],
    survey_of: SurveyOf,
    keep: Callable[[Target], bool] | None = None,
) -> Plan:
    """Fold `events` into their `records`: the new records and the rollup deltas (with
    `keep`, only the deltas of the rollup documents it accepts)."""
    aliases = {rid: doc["alias_of"] for rid, doc in records.items() if doc.get("alias_of")}
    aliases.update(aliases_named(events))
    routed: dict[str, list[Mapping[str, Any]]] = {}
    for ev in events:
        routed.setdefault(aliases.get(ev["rid"], ev["rid"]), []).append(ev)
    result = Plan(deltas=Deltas(keep))
    for alias, target in aliases.items():
        orphan = records.get(alias)
        if orphan is not None and not orphan.get("alias_of"):
            # Something reached the other id before the response said it was its alias (a
            # status callback by CallSid, before the spooled open): its record joins the
            # response's, and what it counted is taken back.
            result.deltas.add(orphan, orphan.get("counted") or [], -1)
            if orphan.get("closed"):
                routed.setdefault(target, []).append(
                    {"kind": Kind.CLOSE, "end_reason": orphan["closed"], "meta": {}}
                )
        if orphan is None or not orphan.get("alias_of"):
            result.records[alias] = {"_id": alias, "alias_of": target, "counted": []}
    for rid, evs in routed.items():
        before = dict(records.get(rid) or record.blank(rid))
        after = record.fold(before, evs)
        survey = survey_of(after["survey"], after["version"]) if after.get("survey") else None
        record.settle(after, survey)
        counted = record.counters(after)
        if counted and not after.get("month"):
            log.error("response %s has no month; not counted", rid)
            counted = set()
        after["counted"] = sorted(counted)
        old = set(before.get("counted") or [])
        if old != counted:
            result.deltas.add(before, old, -1)
            result.deltas.add(after, counted, +1)
        if after != before:
            result.records[rid] = after
        entry = record.live_entry(before, after)
        if entry is not None:
            result.live.append(entry)
        took_part = record.participation(before, after)
        if took_part is not None:
            result.participations.append(took_part)
        if survey and survey.get("webhook_url") and webhooks.completed_now(before, after):
            result.deliveries.append(webhooks.delivery(after, survey["webhook_url"]))
        entry = queued(before, after, survey)
        if entry is not None:
            result.unhappy.append(entry)
    return result
