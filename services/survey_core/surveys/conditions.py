"""Display conditions (`show_if`): their shape, what they may refer to, and their truth.

A condition is a JSON object whose entries must all hold. An entry is either a question's
test, `"csat": {"lte": 2}` (several operators: all of them), or a combination,
`"any": [condition, ...]` / `"all": [condition, ...]` (told from a question named "any" by
its list). A test of a question that has no answer (skipped, not shown, not asked yet) is
false, whatever its operator: a question that depends on a missing answer is not shown.
Pure functions only: the IVR evaluates them on the call's state, pages and the JSON API on
the answers sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in")
ORDERED = ("lt", "lte", "gt", "gte")
LISTS = ("in", "not_in")
COMBINATIONS = ("all", "any")
MAX_DEPTH = 4  # combinations nested at most this deep
MAX_TESTS = 20  # question tests in one condition
MAX_LIST = 50  # values in an `in` / `not_in` list
# What a condition may compare a question's answer with, by the question's type (a scored
# type, whose scale the schema passes in, takes every operator).
WITH_VALUES = ("choice", "reason")
OPERATORS_OF: dict[str, tuple[str, ...]] = {
    **{kind: ("eq", "ne", "in", "not_in") for kind in WITH_VALUES},
    "consent": ("eq", "ne"),
}
Scales = Mapping[str, tuple[int, int]]


def shape_errors(condition: Any, depth: int = 0) -> list[str]:
    """What is wrong with `condition`'s shape (no look at the questions); [] if nothing."""
    if not isinstance(condition, Mapping) or not condition:
        return ["A condition is a non-empty object."]
    if depth > MAX_DEPTH:
        return [f"Conditions nest at most {MAX_DEPTH} deep."]
    errors: list[str] = []
    for name, entry in condition.items():
        if not isinstance(name, str):
            errors.append("A condition's names are texts.")
        elif name in COMBINATIONS and isinstance(entry, list):
            if not 1 <= len(entry) <= MAX_TESTS:
                errors.append(f"{name!r} takes 1 to {MAX_TESTS} conditions.")
            for part in entry[:MAX_TESTS]:
                errors += shape_errors(part, depth + 1)
        elif not isinstance(entry, Mapping) or not entry:
            errors.append(f'{name!r}: a test is an object such as {{"lte": 2}}.')
        else:
            errors += _test_shape(name, entry)
    if not errors and depth == 0 and len(list(tests(condition))) > MAX_TESTS:
        errors.append(f"A condition holds at most {MAX_TESTS} tests.")
    return errors


def _test_shape(name: str, test: Mapping[str, Any]) -> list[str]:
    errors = []
    for op, operand in test.items():
        if op not in OPERATORS:
            errors.append(f"{name!r}: unknown operator {op!r} (one of {', '.join(OPERATORS)}).")
        elif op in LISTS:
            if not isinstance(operand, list) or not 1 <= len(operand) <= MAX_LIST:
                errors.append(f"{name!r}: {op!r} takes a list of 1 to {MAX_LIST} values.")
            elif not all(map(_scalar, operand)):
                errors.append(f"{name!r}: {op!r} takes numbers, texts or true/false.")
        elif not _scalar(operand):
            errors.append(f"{name!r}: {op!r} takes a number, a text or true/false.")
    return errors


def _scalar(value: Any) -> bool:
    return isinstance(value, bool | int | str) and not (isinstance(value, str) and len(value) > 64)


def tests(condition: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every (question key, test) in a well-shaped condition, at any depth."""
    for name, entry in condition.items():
        if name in COMBINATIONS and isinstance(entry, list):
            for part in entry:
                yield from tests(part)
        else:
            yield name, entry


def referenced(condition: Mapping[str, Any]) -> set[str]:
    """The question keys a well-shaped condition tests."""
    return {key for key, _ in tests(condition)}


def reference_errors(
    condition: Mapping[str, Any], earlier: Mapping[str, Any], scales: Scales
) -> list[str]:
    """What is wrong with a well-shaped condition given the questions before it (`earlier`:
    {key: question}) and the scored types' `scales`: a key that is not one of them, a type a
    condition cannot test, an operator or a value its type does not take."""
    errors: list[str] = []
    for key, test in tests(condition):
        question = earlier.get(key)
        if question is None:
            errors.append(f"{key!r} is not an earlier question of this survey.")
            continue
        kind = question["type"]
        allowed = OPERATORS if kind in scales else OPERATORS_OF.get(kind)
        if allowed is None:
            errors.append(f"{key!r}: a condition cannot test a {kind} question.")
            continue
        for op, operand in test.items():
            if op not in allowed:
                errors.append(f"{key!r}: a {kind} question takes {', '.join(allowed)}.")
                continue
            values = operand if op in LISTS else [operand]
            for value in values:
                if bad := _value_error(question, value, scales):
                    errors.append(f"{key!r}: {bad}")
    return list(dict.fromkeys(errors))


def _value_error(question: Mapping[str, Any], value: Any, scales: Scales) -> str | None:
    kind = question["type"]
    if kind in scales:
        low, high = scales[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"a {kind} answer is a whole number from {low} to {high}, not {value!r}."
    elif kind in WITH_VALUES:
        options = [c["value"] for c in question.get("choices") or []]
        if value not in options or not isinstance(value, str):
            return f"{value!r} is not one of its options ({', '.join(options)})."
    elif not isinstance(value, bool):
        return f"a consent answer is true or false, not {value!r}."
    return None


def holds(condition: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Whether a well-shaped condition holds for `answers` ({key: value})."""
    for name, entry in condition.items():
        if name in COMBINATIONS and isinstance(entry, list):
            parts = (holds(part, answers) for part in entry)
            if not (all(parts) if name == "all" else any(parts)):
                return False
        elif not _passes(answers.get(name), entry):
            return False
    return True


def _passes(answer: Any, test: Mapping[str, Any]) -> bool:
    if answer is None:
        return False
    return all(_compare(op, answer, operand) for op, operand in test.items())


def _same(a: Any, b: Any) -> bool:
    """Equal and of one type: a consent's true is never a score of 1."""
    return type(a) is type(b) and a == b


def _compare(op: str, answer: Any, operand: Any) -> bool:
    if op == "eq":
        return _same(answer, operand)
    if op == "ne":
        return not _same(answer, operand)
    if op == "in":
        return any(_same(answer, v) for v in operand)
    if op == "not_in":
        return not any(_same(answer, v) for v in operand)
    if type(answer) is not int or type(operand) is not int:
        return False  # order compares whole numbers only
    if op == "lt":
        return answer < operand
    if op == "lte":
        return answer <= operand
    if op == "gt":
        return answer > operand
    return answer >= operand


def shown(question: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Whether `question` is asked, given the answers to the questions before it."""
    condition = question.get("show_if")
    return condition is None or holds(condition, answers)


def visible(questions: Iterable[Mapping[str, Any]], answers: Mapping[str, Any]) -> list[str]:
    """The keys of the questions shown, in order, for a whole set of `answers`: each
    condition sees only the answers to questions shown before it."""
    keys: list[str] = []
    given: dict[str, Any] = {}
    for question in questions:
        if shown(question, given):
            keys.append(question["key"])
            if question["key"] in answers:
                given[question["key"]] = answers[question["key"]]
    return keys
