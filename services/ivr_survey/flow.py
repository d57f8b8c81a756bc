"""Next-question logic of an IVR call: pure functions over the call's state (no Flask)."""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from ivr_survey.logic import past_hidden
from survey_core.fields import storable
from survey_core.responses.dimensions import CONTACT
from survey_core.surveys.schema import (
    CONSENT,
    KEY,
    LANGUAGES,
    MAX_QUESTIONS,
    REASON,
    RECORDING,
    SCALES,
)

MAX_INVALID_RETRIES = 2  # after two retries an invalid answer skips the question
MAX_SILENT_RETRIES = 1  # silence: asked once more, then skipped
# The bounds of a call state (a validly signed one could still say anything): the survey
# schema's, ids of at most 128 characters, times in the years 2000-2099 like every Instant.
MAX_ID = 128
CONTACT_NAMES = tuple(d.name for d in CONTACT)
MAX_URL = 2000  # a recording's URL
MAX_VERSION = 2**31 - 1
STARTED = (946_684_800.0, 4_102_444_800.0)  # 2000-01-01 .. 2100-01-01 UTC
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,47}")
_MONTH = re.compile(r"20[0-9]{2}-(0[1-9]|1[0-2])")
_KEY = re.compile(KEY)


@dataclass(frozen=True)
class CallState:
    """Everything the call needs, carried in the signed action URLs between webhooks.

    Answers given in this call ride along, so a database outage loses nothing: `pending` lists
    the questions whose write has not been confirmed yet.
    """

    survey: str
    version: int
    lang: str
    interaction: str
    month: str
    started: float
    # The contact's dimensions by name (`responses.dimensions.CONTACT`: agent, team, reason).
    contact: dict[str, str] = field(default_factory=dict)
    caller: str | None = None
    q: int = 0
    tries: int = 0
    silent: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    def encode(self) -> str:
        # A shallow dict (dataclasses.asdict deep-copies: 4x slower, on every webhook).
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> CallState:
        """Inverse of encode; ValueError on anything malformed."""
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if isinstance(data, dict) and "contact" not in data:  # a call begun before
                old = {n: data.pop(n, None) for n in CONTACT_NAMES}
                data["contact"] = {n: v for n, v in old.items() if v is not None}
            state = cls(**data)
        except (ValueError, TypeError) as exc:
            raise ValueError("malformed call state") from exc
        if not state.well_typed():
            raise ValueError("a call state field has the wrong type")
        return state

    def well_typed(self) -> bool:
        """Every field of the type it is declared with and within its bounds (JSON could say
        anything: an integer past 64 bits, a time in year 5000, a lone surrogate)."""
        for f in fields(self):
            value = getattr(self, f.name)
            kinds = _FIELD_TYPES.get(f.name, (str, type(None)))
            if isinstance(value, bool) or not isinstance(value, kinds):
                return False
        keys = [*self.answers, *self.skipped, *self.pending]
        return (
            bool(_SLUG.fullmatch(self.survey))
            and 1 <= self.version <= MAX_VERSION
            and self.lang in LANGUAGES
            and bool(_MONTH.fullmatch(self.month))
            and math.isfinite(self.started)
            and STARTED[0] <= self.started < STARTED[1]
            and all(n in CONTACT_NAMES and _id(v) for n, v in self.contact.items())
            and (self.caller is None or _id(self.caller))
            and _id(self.interaction)
            and 0 <= self.q <= MAX_QUESTIONS
            and 0 <= self.tries <= MAX_INVALID_RETRIES
            and 0 <= self.silent <= MAX_SILENT_RETRIES
            and len(keys) <= 3 * MAX_QUESTIONS
            and all(isinstance(k, str) and _KEY.match(k) for k in keys)
            and all(_ANSWER(v) for v in self.answers.values())
        )


@dataclass(frozen=True)
class Step:
    """What one keypress (or silence) does to the call."""

    kind: Literal["answer", "invalid", "silence", "skip"]
    key: str
    value: Any
    state: CallState
    done: bool = False
    # Questions this step skipped besides `key`: the recording a consent question refused.
    also_skipped: tuple[str, ...] = ()


KEYPAD = re.compile(r"[0-9]{1,2}")
# The declared types of CallState's fields that are not optional strings.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "survey": (str,),
    "version": (int,),
    "lang": (str,),
    "interaction": (str,),
    "month": (str,),
    "started": (int, float),
    "q": (int,),
    "tries": (int,),
    "silent": (int,),
    "answers": (dict,),
    "contact": (dict,),
    "skipped": (list,),
    "pending": (list,),
}


def _ANSWER(value: Any) -> bool:  # noqa: N802 - reads as a type test
    """An answer a call state may carry: a keypad score (0-99), a consent (true / false), or a
    recording: its URL, or {url, duration} as `recorded` makes it."""
    if isinstance(value, bool):
        return True
    if isinstance(value, dict) and set(value) == {"url", "duration"}:
        seconds = value["duration"]
        good = type(seconds) is int and 0 <= seconds <= 86_400  # noqa: E721 - True is no time
        return good and isinstance(value["url"], str) and _ANSWER(value["url"])
    if isinstance(value, str):
        return len(value) <= MAX_URL and storable(value)
    return type(value) is int and 0 <= value <= 99  # noqa: E721 - True is no score


def _id(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= MAX_ID and storable(value)


def parse_digits(question: dict[str, Any], digits: str) -> int | bool | str | None:
    """The answer a caller's digits mean for `question`, or None if out of range (a consent:
    1 is True, yes; 2 is False, no; a reason: the value of its n-th option)."""
    digits = (digits or "").strip().rstrip("#")
    if not KEYPAD.fullmatch(digits):  # ASCII only: "²".isdigit() and "٣" is a decimal
        return None
    value = int(digits)
    if question["type"] == CONSENT:
        return {1: True, 2: False}.get(value)
    if question["type"] in SCALES:
        low, high = SCALES[question["type"]]
    elif question["type"] in ("choice", REASON):
        low, high = 1, len(question.get("choices") or [])
    else:
        return None
    if not low <= value <= high:
        return None
    return question["choices"][value - 1]["value"] if question["type"] == REASON else value


def _onward(survey: dict[str, Any], step: Step) -> Step:
    """A settling step whose next question is the next one shown (its `done` follows)."""
    if step.kind not in ("answer", "skip"):
        return step
    state = past_hidden(survey, step.state)
    return replace(step, state=state, done=state.q >= len(survey["questions"]))


def _next(state: CallState, **changes: Any) -> CallState:
    return replace(state, q=state.q + 1, tries=0, silent=0, **changes)


def consented(survey: dict[str, Any], state: CallState) -> bool:
    """Whether the caller said yes to the consent question right before question `state.q`
    (a definition stored before consent was asked has none: its recording is never asked)."""
    before = survey["questions"][state.q - 1] if 0 < state.q <= len(survey["questions"]) else {}
    return before.get("type") == CONSENT and state.answers.get(before["key"]) is True


def unconsented_skip(survey: dict[str, Any], state: CallState) -> Step | None:
    """The skip of question `state.q` when it is a recording the caller did not consent to."""
    questions = survey["questions"]
    if state.q >= len(questions) or questions[state.q]["type"] != RECORDING:
        return None
    if consented(survey, state):
        return None
    key = questions[state.q]["key"]
    nxt = _next(state, skipped=[*state.skipped, key])
    return _onward(survey, Step("skip", key, None, nxt, done=nxt.q >= len(questions)))


def _refused(survey: dict[str, Any], state: CallState, key: str, value: Any) -> Step:
    """A consent question answered no (False) or skipped (None): the recording right after it
    is skipped with it, so it is never asked."""
    questions = survey["questions"]
    answers = state.answers if value is None else {**state.answers, key: value}
    skipped = [*state.skipped] if value is not None else [*state.skipped, key]
    also: tuple[str, ...] = ()
    after = state.q + 1
    if after < len(questions) and questions[after]["type"] == RECORDING:
        also = (questions[after]["key"],)
        skipped.append(questions[after]["key"])
        after += 1
    nxt = replace(state, q=after, tries=0, silent=0, answers=answers, skipped=skipped)
    done = after >= len(questions)
    if value is None:
        return Step("skip", key, None, nxt, done=done, also_skipped=also)
    return Step("answer", key, value, nxt, done=done, also_skipped=also)


def _skip(survey: dict[str, Any], state: CallState, key: str) -> Step:
    questions = survey["questions"]
    if questions[state.q]["type"] == CONSENT:
        return _refused(survey, state, key, None)
    nxt = _next(state, skipped=[*state.skipped, key])
    return Step("skip", key, None, nxt, done=nxt.q >= len(questions))


def advance(survey: dict[str, Any], state: CallState, digits: str | None) -> Step:
    """Apply the caller's `digits` (None or "" for silence) to the current question; the
    next question is the next one shown."""
    return _onward(survey, _advance(survey, state, digits))


def _advance(survey: dict[str, Any], state: CallState, digits: str | None) -> Step:
    questions = survey["questions"]
    question = questions[state.q]
    key = question["key"]
    if not (digits or "").strip().rstrip("#"):
        if state.silent < MAX_SILENT_RETRIES:
            return Step("silence", key, None, replace(state, silent=state.silent + 1))
        return _skip(survey, state, key)
    value = parse_digits(question, digits)
    if value is None:
        if state.tries < MAX_INVALID_RETRIES:
            return Step("invalid", key, None, replace(state, tries=state.tries + 1))
        return _skip(survey, state, key)
    if value is False:
        return _refused(survey, state, key, value)
    nxt = _next(state, answers={**state.answers, key: value})
    return Step("answer", key, value, nxt, done=nxt.q >= len(questions))


def recorded(
    survey: dict[str, Any], state: CallState, url: str | None, seconds: int | None
) -> Step:
    """A <Record> finished: the comment is the answer, or the question is skipped if empty (or
    not a recording the caller consented to: nothing is kept then)."""
    return _onward(survey, _recorded(survey, state, url, seconds))


def _recorded(
    survey: dict[str, Any], state: CallState, url: str | None, seconds: int | None
) -> Step:
    key = survey["questions"][state.q]["key"]
    done = state.q + 1 >= len(survey["questions"])
    recordable = survey["questions"][state.q]["type"] == RECORDING and consented(survey, state)
    if recordable and url and (seconds or 0) > 0:
        value = {"url": url, "duration": seconds}
        return Step(
            "answer", key, value, _next(state, answers={**state.answers, key: value}), done=done
        )
    return Step("skip", key, None, _next(state, skipped=[*state.skipped, key]), done=done)
