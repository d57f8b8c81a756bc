"""Survey logic on the phone: which question comes next, from the call's own state alone."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from survey_core.surveys.conditions import shown
from survey_core.surveys.schema import CONSENT, RECORDING

if TYPE_CHECKING:
    from ivr_survey.flow import CallState


def comparable(survey: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """A call's answers as display conditions compare them: a choice's digit as its option's
    value (as the web stores it), everything else as carried."""
    out = dict(answers)
    for q in survey["questions"]:
        value = answers.get(q["key"])
        if q["type"] == "choice" and type(value) is int and 0 < value <= len(q["choices"]):
            out[q["key"]] = q["choices"][value - 1]["value"]
    return out


def past_hidden(survey: dict[str, Any], state: CallState) -> CallState:
    """`state` moved past the questions its answers' display conditions hide (a consent
    question's recording with it). Nothing is stored for them: not asked is not skipped."""
    questions, q = survey["questions"], state.q
    answers = comparable(survey, state.answers)
    while q < len(questions) and not shown(questions[q], answers):
        hidden_consent = questions[q]["type"] == CONSENT
        q += 1
        if hidden_consent and q < len(questions) and questions[q]["type"] == RECORDING:
            q += 1
    return state if q == state.q else replace(state, q=q, tries=0, silent=0)
