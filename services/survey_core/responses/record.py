"""Folding events into a response record, and what a record counts: pure functions.

The record a response's events fold into does not depend on the order they arrive in: every
field is a join (first meta wins, answers are keyed once, `reached` is a maximum, an ending is
kept once), and the status is derived from the whole. What a record counts (`counters`) is a
function of the record, so re-folding after a late event changes the counts by the difference:
a call closed as partial whose spooled last answer lands later becomes complete, exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from survey_core.responses.events import META_FIELDS, TIME_META, Kind, parts_of
from survey_core.statuses import LEFT_OUT, PARTICIPATED, UNREACHED_CALL_STATUSES, Status
from survey_core.surveys import conditions
from survey_core.surveys.definitions import final_status, question_key_at
from survey_core.surveys.low_scores import NONE_GIVEN, low_score_reasons
from survey_core.surveys.schema import SCALES

METRICS = tuple(SCALES)  # csat, nps, ces: one histogram each
IDENTITY_FIELDS = ("caller_hash", "call_sid")


def blank(rid: str) -> dict[str, Any]:
    """A record with nothing folded in yet."""
    channel, interaction = parts_of(rid)
    return {
        "_id": rid,
        "channel": channel,
        "interaction_id": interaction,
        "answers": {},
        "scores": {},
        "ratings": {},
        "skipped": [],
        "reached": 0,
        "done": False,
        "transcripts": {},
        "counted": [],
    }


def _as_stored(name: str, value: Any) -> Any:
    """Meta as stored: a start time spooled as a timestamp becomes a datetime again."""
    if name in TIME_META and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return value


def apply(doc: dict[str, Any], ev: Mapping[str, Any]) -> None:
    """Fold one event into `doc` in place (`fold` hands it a copy); applying an event twice
    changes nothing."""
    meta = ev.get("meta") or {}
    for name in (*META_FIELDS, *IDENTITY_FIELDS):
        if doc.get(name) is None and meta.get(name) is not None:
            doc[name] = _as_stored(name, meta[name])
    at = ev.get("at")
    if at is not None and (doc.get("updated_at") is None or at > doc["updated_at"]):
        doc["updated_at"] = at
    kind, key = ev["kind"], ev.get("key")
    if kind == Kind.OPEN:
        doc.setdefault("opened", ev["status"])
    elif kind in (Kind.ANSWER, Kind.SKIP):
        key = str(key)
        if key not in doc["answers"] and key not in doc["skipped"]:
            if kind == Kind.ANSWER:
                _answer(doc, key, ev.get("qtype"), ev.get("value"))
            else:
                doc["skipped"].append(key)
        doc["reached"] = max(doc["reached"], int(ev.get("reached") or 0))
        doc["done"] = doc["done"] or bool(ev.get("done"))
    elif kind == Kind.SUBMIT:
        _submit(doc, ev.get("answers") or {}, ev.get("qtypes") or {})
        if ev.get("submitted_at") is not None:  # a past submission (demo data): its own time
            doc.setdefault("submitted_at", ev["submitted_at"])
    elif kind == Kind.DRAFT:
        _draft(doc, ev)
    elif kind == Kind.INVITE:
        doc["invited"] = True
    elif kind == Kind.TRANSCRIPT:
        doc["transcripts"][key] = ev.get("text")
    elif kind == Kind.CLOSE:
        # `reason` on close events stored before they named it `end_reason`
        doc.setdefault("closed", ev.get("end_reason") or ev.get("reason") or "completed")


def _submit(doc: dict[str, Any], answers: Mapping[str, Any], qtypes: Mapping[str, str]) -> None:
    """A submission settles every question it names (`qtypes`): drafts folded before it are
    replaced, drafts folded after it are ignored (see `_draft`)."""
    for k, qtype in qtypes.items():
        doc["answers"].pop(k, None)
        if qtype in SCALES:
            doc["scores"].pop(qtype, None)
        elif qtype == "rating":
            doc.setdefault("ratings", {}).pop(k, None)
    for k, value in answers.items():
        if value is not None:
            _answer(doc, k, qtypes.get(k), value)
    doc["reached"] = max(doc["reached"], len(qtypes))
    doc["submitted"] = doc["done"] = True


def _draft(doc: dict[str, Any], ev: Mapping[str, Any]) -> None:
    """Saved answers: per question, the latest saved value counts until a submission."""
    if doc.get("submitted"):
        return
    at = ev.get("at")
    drafted = doc.setdefault("drafted", {})
    qtypes = ev.get("qtypes") or {}
    for k, value in (ev.get("answers") or {}).items():
        if k in drafted and at is not None and drafted[k] is not None and at < drafted[k]:
            continue
        drafted[k] = at
        _answer(doc, k, qtypes.get(k), value)
    doc["reached"] = max(doc["reached"], int(ev.get("reached") or 0))


def _answer(doc: dict[str, Any], key: str, qtype: str | None, value: Any) -> None:
    doc["answers"][key] = value
    if qtype in SCALES:
        doc["scores"][qtype] = int(value)
    elif qtype == "rating":
        doc.setdefault("ratings", {})[key] = int(value)


def fold(doc: dict[str, Any], events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of `doc` with `events` folded in (status not yet derived; see `settle`)."""
    out = {
        **doc,
        "answers": dict(doc["answers"]),
        "scores": dict(doc["scores"]),
        "ratings": dict(doc.get("ratings") or {}),
        "skipped": list(doc["skipped"]),
        "transcripts": dict(doc.get("transcripts") or {}),
        **({"drafted": dict(doc["drafted"])} if "drafted" in doc else {}),
    }
    for ev in events:
        apply(out, ev)
    return out


def status_of(doc: Mapping[str, Any], survey: Mapping[str, Any] | None) -> Status | None:
    """The status the folded events add up to; None while they say nothing countable."""
    opened = doc.get("opened")
    if opened in (Status.NOT_SAMPLED, Status.SUPPRESSED):
        return Status(opened)
    took_part = bool(opened or doc["answers"] or doc["skipped"])
    invited = Status.INVITED if doc.get("invited") else None
    if doc.get("done"):
        return Status.COMPLETE
    if doc.get("closed"):
        if not took_part:
            return Status.NOT_REACHED if doc["closed"] in UNREACHED_CALL_STATUSES else invited
        if invited:  # a questionnaire behind a link, never submitted
            return Status.PARTIAL if doc["answers"] else Status.ABANDONED
        return Status(final_status(dict(survey) if survey else None, doc["reached"]))
    return Status.IN_PROGRESS if took_part else invited


def _drop_hidden(doc: dict[str, Any], survey: Mapping[str, Any]) -> None:
    """Leave out answers to questions the record's own answers hide (`show_if`): saved drafts
    are merged per question, so a later draft's low score may hide a reason an earlier one
    gave. A submission never holds one (the server refuses it)."""
    questions = survey.get("questions") or []
    if not any(q.get("show_if") for q in questions):
        return
    shown = set(conditions.visible(questions, doc["answers"]))
    for question in questions:
        key = question["key"]
        if key in shown or key not in doc["answers"]:
            continue
        del doc["answers"][key]
        if question["type"] in SCALES:
            doc["scores"].pop(question["type"], None)
        (doc.get("ratings") or {}).pop(key, None)


def settle(doc: dict[str, Any], survey: Mapping[str, Any] | None) -> dict[str, Any]:
    """Derive the status fields of a folded record (in place) and return it."""
    if survey is not None:
        _drop_hidden(doc, survey)
    status = status_of(doc, survey)
    doc["status"] = status.value if status else None
    if status is Status.PARTIAL:
        doc["last_question_reached"] = question_key_at(
            dict(survey) if survey else None, doc["reached"]
        )
    else:
        doc.pop("last_question_reached", None)
    if status in (Status.COMPLETE, Status.PARTIAL):
        doc.setdefault("submitted_at", doc.get("updated_at"))
    if survey is not None:  # {metric: [reasons]} of its low scores (not the contact's reason)
        doc["low_score_reasons"] = low_score_reasons(doc, survey)
    return doc


def live_entry(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any] | None:
    """How a re-fold changes the list of live conversations (the idle sweep's queue): the
    entry to write, {"_id": rid} alone to remove it, or None for no change."""
    live = after.get("status") == Status.IN_PROGRESS
    was = before.get("status") == Status.IN_PROGRESS
    if live and (not was or before.get("updated_at") != after.get("updated_at")):
        fields = ("channel", "interaction_id", "updated_at", "expires_at")
        return {"_id": after["_id"], **{name: after.get(name) for name in fields}}
    if was and not live:
        return {"_id": after["_id"]}
    return None


def participation(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any] | None:
    """The caller's participation this re-fold reveals (for "not again within N days"), once:
    {"_id": caller_hash, "started_at", "interaction_id"}, or None."""
    if not after.get("caller_hash") or after.get("status") not in PARTICIPATED:
        return None
    if before.get("status") in PARTICIPATED and before.get("caller_hash"):
        return None
    return {
        "_id": after["caller_hash"],
        "started_at": after.get("started_at"),
        "interaction_id": after["interaction_id"],
    }


def counters(doc: Mapping[str, Any]) -> set[str]:
    """Every rollup counter a settled record adds one to (answers count as soon as given)."""
    status = doc.get("status")
    if not status:
        return set()
    found = {"funnel.offered"}
    if status == Status.INVITED:  # offered; started once the link is opened
        return found
    if status in LEFT_OUT:
        return found | {f"funnel.{status}"}
    found.add("funnel.started")
    if status != Status.IN_PROGRESS:
        found.add(f"funnel.{status}")
    if status == Status.PARTIAL and doc.get("last_question_reached"):
        found.add(f"funnel.partial_at.{doc['last_question_reached']}")
    for metric, score in (doc.get("scores") or {}).items():
        if metric in METRICS and score is not None:
            found.add(f"{metric}.{int(score)}")
    for key, score in (doc.get("ratings") or {}).items():
        found.add(f"ratings.{key}.{int(score)}")
    for metric, reasons in (doc.get("low_score_reasons") or {}).items():
        found.update(f"low_reasons.{metric}.{r}" for r in (reasons or [NONE_GIVEN]))
    return found
