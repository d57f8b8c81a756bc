"""A questionnaire page's steps: the questions each step shows, decided by earlier answers.

A page without JavaScript cannot show a question the moment an answer opens it, so a
questionnaire with display conditions is asked in steps: the first step holds every question
whose fate is known before anything is answered; each next step, the questions that the
answers of the steps before it open. A question is on the first step whose answers decide its
condition, and appears only if the condition holds; the steps add up to exactly the questions
`conditions.visible` shows for the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_core.surveys.conditions import referenced, shown

Question = dict[str, Any]


def steps_of(questions: list[Question], answers: Mapping[str, Any]) -> list[list[Question]]:
    """The steps (non-empty lists of questions, in order) for `answers` given so far."""
    found: list[list[Question]] = []
    decided: set[str] = set()  # on an earlier step, or hidden
    given: dict[str, Any] = {}  # the answers of earlier steps
    remaining = list(questions)
    while remaining:
        step, later = [], []
        for q in remaining:
            condition = q.get("show_if")
            if condition is not None and not referenced(condition) <= decided:
                later.append(q)
            elif shown(q, given):
                step.append(q)
            else:
                decided.add(q["key"])
        if not step:  # everything left is hidden by what was answered
            break
        found.append(step)
        for q in step:
            decided.add(q["key"])
            if q["key"] in answers:
                given[q["key"]] = answers[q["key"]]
        remaining = later
    return found or [[]]
