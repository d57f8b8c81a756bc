"""A questionnaire behind a link: where it stands, opening it, saving a draft, submitting it.

Where a response stands is read from its own events (one `_id` range read) folded by the same
pure functions the worker uses, so the page and the API agree with the reports the moment a
request returns. Each step is one event insert; the submission's key (`<rid>:submit`) makes it
happen once per link, whichever way and however often it is sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from survey_core.questionnaires import invitations
from survey_core.questionnaires.invitations import LinkPolicy
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.responses.folding import blank, fold, settle
from survey_core.responses.spool import Spool
from survey_core.responses.statuses import Status
from survey_core.surveys.answers import asked, qtypes
from survey_core.surveys.catalog import SurveyCatalog


class LinkUnknown(Exception):
    """A genuine-looking token no invitation answers to."""


@dataclass
class Link:
    invitation: dict[str, Any]
    survey: dict[str, Any]
    # The response as its events fold so far; None when they were not read (a submission
    # through the API learns whether it is the first from its insert alone).
    record: dict[str, Any] | None

    @property
    def meta(self) -> dict[str, Any]:
        return self.invitation["meta"]

    @property
    def answered(self) -> bool:
        return bool(self.record and self.record.get("submitted"))

    @property
    def language(self) -> str:
        return str(self.meta.get("language") or self.survey["default_language"])

    @property
    def saved(self) -> dict[str, Any]:
        """Answers given so far (drafts, or the submission)."""
        return dict(self.record["answers"]) if self.record else {}


def load(
    db: Database, policy: LinkPolicy, catalog: SurveyCatalog, token: str, history: bool = True
) -> Link:
    """The link `token` opens (LinkInvalid, LinkExpired or LinkUnknown otherwise), with where
    its response stands unless `history` is off (one read fewer)."""
    invitation = invitations.find(db, policy, token)
    if invitation is None:
        raise LinkUnknown(token)
    meta = invitation["meta"]
    survey = catalog.version(db, meta["survey"], meta["version"])
    if survey is None:
        raise LinkUnknown(token)
    if not history:
        return Link(invitation, survey, None)
    found = events.all_of_response(db, invitation["rid"])
    record = settle(fold(blank(invitation["rid"]), found), survey)
    return Link(invitation, survey, record)


def _opening(link: Link) -> list[dict[str, Any]]:
    """The `open` event, unless the response was opened already (or its events were not read:
    a submission starts a response by itself)."""
    if link.record is None or link.record.get("opened"):
        return []
    return [events.event(Kind.OPEN, link.meta, status=Status.IN_PROGRESS)]


def open_link(db: Database, spool: Spool, link: Link) -> None:
    """The questionnaire was opened: the response is started (funnel: opened)."""
    if not link.answered:
        events.record(db, spool, _opening(link))


def submit(db: Database, spool: Spool, link: Link, answers: dict[str, Any]) -> bool:
    """Store the customer's answers once; False if the link was answered already."""
    final = events.event(Kind.SUBMIT, link.meta, answers=answers, qtypes=qtypes(link.survey))
    outcomes = events.record(db, spool, [*_opening(link), final])
    if outcomes is None:  # spooled: the worker stores it, once, when the database is back
        return True
    return outcomes[-1] == "stored"


def save_draft(db: Database, spool: Spool, link: Link, answers: dict[str, Any]) -> dict[str, Any]:
    """Keep answers given so far (a replayed save is a duplicate); returns every answer kept."""
    order = {q["key"]: i for i, q in enumerate(asked(link.survey))}
    # Keyed by what was kept before and what is saved now: a replay is a duplicate, while
    # going back to an earlier answer (A, B, then A again) is a save of its own.
    said = json.dumps([link.saved, answers], sort_keys=True, default=str)
    digest = hashlib.sha256(said.encode()).hexdigest()[:16]
    draft = events.event(
        Kind.DRAFT,
        link.meta,
        digest,
        answers=answers,
        qtypes={k: t for k, t in qtypes(link.survey).items() if k in answers},
        reached=max((order[k] + 1 for k in answers), default=0),
    )
    events.record(db, spool, [*_opening(link), draft])
    return {**link.saved, **answers}
