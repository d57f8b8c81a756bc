"""Next-question logic of an IVR call: pure functions over the call's state (no Flask)."""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from survey_core.fields import storable
from survey_core.surveys.schema import KEY, LANGUAGES, MAX_QUESTIONS, SCALES

MAX_INVALID_RETRIES = 2  # after two retries an invalid answer skips the question
MAX_SILENT_RETRIES = 1  # silence: asked once more, then skipped
# The bounds of a call state (a validly signed one could still say anything): the survey
# schema's, ids of at most 128 characters, times in the years 2000-2099 like every Instant.
MAX_ID = 128
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
    agent: str | None = None
    team: str | None = None
    reason: str | None = None
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
            and all(_id(v) for v in (self.agent, self.team, self.reason, self.caller) if v)
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
    "skipped": (list,),
    "pending": (list,),
}


def _ANSWER(value: Any) -> bool:  # noqa: N802 - reads as a type test
    """An answer a call state may carry: a keypad score (0-99), or a recording: its URL, or
    {url, duration} as `recorded` makes it."""
    if isinstance(value, dict) and set(value) == {"url", "duration"}:
        seconds = value["duration"]
        good = type(seconds) is int and 0 <= seconds <= 86_400  # noqa: E721 - True is no time
        return good and _ANSWER(value["url"])
    if isinstance(value, str):
        return len(value) <= MAX_URL and storable(value)
    return type(value) is int and 0 <= value <= 99  # noqa: E721 - True is no score


def _id(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= MAX_ID and storable(value)


def parse_digits(question: dict[str, Any], digits: str) -> int | None:
    """The answer a caller's digits mean for `question`, or None if out of range."""
    digits = (digits or "").strip().rstrip("#")
    if not KEYPAD.fullmatch(digits):  # ASCII only: "²".isdigit() and "٣" is a decimal
        return None
    value = int(digits)
    if question["type"] in SCALES:
        low, high = SCALES[question["type"]]
    elif question["type"] == "choice":
        low, high = 1, len(question.get("choices") or [])
    else:
        return None
    return value if low <= value <= high else None


def _next(state: CallState, **changes: Any) -> CallState:
    return replace(state, q=state.q + 1, tries=0, silent=0, **changes)


def advance(survey: dict[str, Any], state: CallState, digits: str | None) -> Step:
    """Apply the caller's `digits` (None or "" for silence) to the current question."""
    questions = survey["questions"]
    question = questions[state.q]
    key = question["key"]
    if not (digits or "").strip().rstrip("#"):
        if state.silent < MAX_SILENT_RETRIES:
            return Step("silence", key, None, replace(state, silent=state.silent + 1))
        nxt = _next(state, skipped=[*state.skipped, key])
        return Step("skip", key, None, nxt, done=nxt.q >= len(questions))
    value = parse_digits(question, digits)
    if value is None:
        if state.tries < MAX_INVALID_RETRIES:
            return Step("invalid", key, None, replace(state, tries=state.tries + 1))
        nxt = _next(state, skipped=[*state.skipped, key])
        return Step("skip", key, None, nxt, done=nxt.q >= len(questions))
    nxt = _next(state, answers={**state.answers, key: value})
    return Step("answer", key, value, nxt, done=nxt.q >= len(questions))


def recorded(
    survey: dict[str, Any], state: CallState, url: str | None, seconds: int | None
) -> Step:
    """A <Record> finished: the comment is the answer, or the question is skipped if empty."""
    key = survey["questions"][state.q]["key"]
    done = state.q + 1 >= len(survey["questions"])
    if url and (seconds or 0) > 0:
        value = {"url": url, "duration": seconds}
        return Step(
            "answer", key, value, _next(state, answers={**state.answers, key: value}), done=done
        )
    return Step("skip", key, None, _next(state, skipped=[*state.skipped, key]), done=done)
