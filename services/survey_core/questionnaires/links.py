"""A questionnaire behind a link: where it stands, opening it, saving a draft, submitting it.

Where a response stands is read from its own events (one `_id` range read) folded by the same
pure functions the worker uses, so the page and the API agree with the reports the moment a
request returns. Each step is one event insert; the submission's key (`<rid>:submit`) makes it
happen once per link, whichever way and however often it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from survey_core import sealing
from survey_core.documents import Db
from survey_core.questionnaires import invitations
from survey_core.questionnaires.invitations import LinkPolicy
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.responses.record import blank, fold, settle
from survey_core.responses.spool import Spool
from survey_core.statuses import Status
from survey_core.surveys.answers import asked, qtypes
from survey_core.surveys.catalog import SurveyCatalog


class LinkUnknown(Exception):
    """A genuine-looking token no invitation answers to."""


class TooManyDrafts(Exception):
    """A link's answers were saved MAX_DRAFTS times already."""


# A response's events are read by `_id` ($in: the index serves it; a range of `_id`s is not
# served by every server, SecantusDB scans), so their subjects are known in advance: drafts
# are numbered, at most MAX_DRAFTS per link.
MAX_DRAFTS = 30
SUBJECTS = ["invite", "open", "submit", "close", *(f"draft:{n}" for n in range(1, MAX_DRAFTS + 1))]


@dataclass
class Link:
    invitation: dict[str, Any]
    survey: dict[str, Any]
    # The response as its events fold so far; None when they were not read (a submission
    # through the API learns whether it is the first from its insert alone).
    record: dict[str, Any] | None
    drafts: int = 0  # saves so far (their events are draft:1, draft:2, ...)

    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self.invitation["meta"]
        return meta

    @property
    def answered(self) -> bool:
        return bool(self.record and self.record.get("submitted"))

    @property
    def language(self) -> str:
        return str(self.meta.get("language") or self.survey["default_language"])

    @property
    def saved(self) -> dict[str, Any]:
        """Answers given so far (drafts, or the submission), free text opened to be shown."""
        return sealing.current().shown_answers(self.record["answers"]) if self.record else {}


def load(
    db: Db, policy: LinkPolicy, catalog: SurveyCatalog, token: str, history: bool = True
) -> Link:
    """The link `token` opens (LinkInvalid, LinkExpired or LinkUnknown otherwise), with where
    its response stands unless `history` is off. Without `history`, a token that carries its
    claims is read without the database (the survey from the process's catalog): a submission
    is then its one keyed insert."""
    if not history:
        claimed = invitations.from_token(policy, token)
        if claimed is not None:
            meta = claimed["meta"]
            survey = catalog.version(db, meta["survey"], meta["version"])
            if survey is None:
                raise LinkUnknown(token)
            return Link(claimed, survey, None)
    invitation = invitations.find(db, policy, token)
    if invitation is None:
        raise LinkUnknown(token)
    meta = invitation["meta"]
    survey = catalog.version(db, meta["survey"], meta["version"])
    if survey is None:
        raise LinkUnknown(token)
    if not history:
        return Link(invitation, survey, None)
    found = events.of_response(db, invitation["rid"], SUBJECTS)
    record = settle(fold(blank(invitation["rid"]), sorted(found, key=_arrival)), survey)
    drafts = sum(1 for ev in found if ev["kind"] == Kind.DRAFT)
    return Link(invitation, survey, record, drafts)


def _arrival(ev: Mapping[str, Any]) -> Any:
    return ev["at"]


def _opening(link: Link) -> list[dict[str, Any]]:
    """The `open` event, unless the response was opened already (or its events were not read:
    a submission starts a response by itself)."""
    if link.record is None or link.record.get("opened"):
        return []
    return [events.event(Kind.OPEN, link.meta, status=Status.IN_PROGRESS)]


def open_link(db: Db, spool: Spool, link: Link) -> None:
    """The questionnaire was opened: the response is started (funnel: opened)."""
    if not link.answered:
        events.record(db, spool, _opening(link))


def submit(
    db: Db,
    spool: Spool,
    link: Link,
    answers: dict[str, Any],
    keyring: sealing.Keyring | None = None,
) -> bool:
    """Store the customer's answers once (free text sealed with `keyring`, default the app's);
    False if the link was answered already."""
    final = events.event(Kind.SUBMIT, link.meta, answers=answers, qtypes=qtypes(link.survey))
    outcomes = events.record(db, spool, [*_opening(link), final], keyring)
    if outcomes is None:  # spooled: the worker stores it, once, when the database is back
        return True
    return outcomes[-1] == "stored"


def save_draft(db: Db, spool: Spool, link: Link, answers: dict[str, Any]) -> dict[str, Any]:
    """Keep answers given so far, as the next numbered draft; returns every answer kept.

    Two saves at once may pick the same number: the second finds it taken and takes the next.
    """
    order = {q["key"]: i for i, q in enumerate(asked(link.survey))}
    fields = {
        "answers": answers,
        "qtypes": {k: t for k, t in qtypes(link.survey).items() if k in answers},
        "reached": max((order[k] + 1 for k in answers), default=0),
    }
    pending = _opening(link)
    for number in range(link.drafts + 1, MAX_DRAFTS + 1):
        draft = events.event(Kind.DRAFT, link.meta, str(number), **fields)
        outcomes = events.record(db, spool, [*pending, draft])
        if outcomes is None or outcomes[-1] == "stored":
            return {**link.saved, **answers}
        pending = []
    raise TooManyDrafts(link.invitation["rid"])
