"""Display conditions as pure functions: exact cases, and properties over generated answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from survey_core.surveys.answers import NOT_SHOWN, REQUIRED, check_answers
from survey_core.surveys.conditions import holds, shape_errors, shown, visible
from survey_core.surveys.definitions import as_stored, question
from survey_core.surveys.schema import SCALE_OF, condition_errors

LOW_CSAT = {"csat": {"lte": 2}}
DETRACTOR = {"nps": {"in": [0, 1, 2, 3, 4, 5, 6]}}
REASONS = [
    {"value": "waiting", "label": {"zh-CN": "等待时间", "en-US": "waiting time"}},
    {"value": "price", "label": {"zh-CN": "价格", "en-US": "price"}},
]


def reason(key: str, show_if, required: bool = True) -> dict:
    return {
        **question(key, "reason", "原因？", "Why?", required=required),
        "choices": REASONS,
        "show_if": show_if,
    }


SURVEY = {
    "slug": "logic",
    "title": {"zh-CN": "调查", "en-US": "Survey"},
    "channels": ["web"],
    "languages": ["zh-CN", "en-US"],
    "default_language": "zh-CN",
    "greeting": {"zh-CN": "您好", "en-US": "Hello"},
    "thanks": {"zh-CN": "谢谢", "en-US": "Thanks"},
    "questions": [
        question("csat", "csat", "满意吗？", "Satisfied?"),
        reason("why", LOW_CSAT),
        question("nps", "nps", "推荐吗？", "Recommend?"),
        reason("nps_why", {"all": [DETRACTOR, {"why": {"ne": "price"}}]}, required=False),
    ],
}


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        (LOW_CSAT, {"csat": 2}, True),
        (LOW_CSAT, {"csat": 3}, False),
        (LOW_CSAT, {}, False),
        (DETRACTOR, {"nps": 6}, True),
        (DETRACTOR, {"nps": 7}, False),
        ({"nps": {"gte": 9}}, {"nps": 10}, True),
        ({"nps": {"gt": 9}}, {"nps": 9}, False),
        ({"nps": {"lt": 7, "gte": 5}}, {"nps": 4}, False),
        ({"nps": {"lt": 7, "gte": 5}}, {"nps": 5}, True),
        ({"any": [LOW_CSAT, DETRACTOR]}, {"csat": 5, "nps": 0}, True),
        ({"any": [LOW_CSAT, DETRACTOR]}, {"csat": 5, "nps": 9}, False),
        ({"all": [LOW_CSAT, DETRACTOR]}, {"csat": 1, "nps": 9}, False),
        ({"all": [LOW_CSAT, DETRACTOR]}, {"csat": 1, "nps": 6}, True),
        ({"csat": {"eq": 1}}, {"csat": True}, False),  # a yes is never a score of 1
        ({"ok": {"eq": True}}, {"ok": 1}, False),
        ({"ok": {"eq": True}}, {"ok": True}, True),
        ({"why": {"ne": "price"}}, {}, False),  # a missing answer fails every test
        ({"why": {"not_in": ["price"]}}, {"why": "waiting"}, True),
        ({"csat": {"lte": 2}, "nps": {"lte": 6}}, {"csat": 2, "nps": 7}, False),
        ({"any": [{"all": [LOW_CSAT]}, {"any": [DETRACTOR]}]}, {"nps": 3}, True),
    ],
)
def test_a_condition_holds_exactly_when_its_tests_do(condition, answers, expected):
    assert shape_errors(condition) == []
    assert holds(condition, answers) is expected


@pytest.mark.parametrize(
    "condition",
    [
        {},
        [],
        "csat<=2",
        {"csat": 2},
        {"csat": {}},
        {"csat": {"$lte": 2}},
        {"csat": {"lte": 2.5}},
        {"csat": {"lte": [2]}},
        {"csat": {"in": []}},
        {"csat": {"in": 2}},
        {"csat": {"eq": {"$gt": 0}}},
        {"any": []},
        {"any": [{}]},
        {"all": [{"all": [{"all": [{"all": [{"all": [{"all": [LOW_CSAT]}]}]}]}]}]},
        {"any": [LOW_CSAT] * 21},
    ],
)
def test_a_malformed_condition_is_refused_by_its_shape(condition):
    assert shape_errors(condition)


def test_a_condition_refers_only_to_an_earlier_question_of_a_type_it_compares():
    questions = [
        question("note", "text", "说", "Say"),
        question("csat", "csat", "满", "Sat"),
        reason("why", {"csat": {"lte": 2}}),
        reason("a", {"later": {"eq": 1}}),
        reason("b", {"note": {"eq": "x"}}),
        reason("c", {"csat": {"lte": 6}}),
        reason("d", {"why": {"eq": "nope"}}),
        reason("e", {"why": {"lt": "price"}}),
        reason("f", {"f": {"eq": "price"}}),
        question("later", "nps", "推", "Rec"),
    ]
    problems = condition_errors(questions)
    assert sorted(problems) == [3, 4, 5, 6, 7, 8]
    assert problems[3] == ["'later' is not an earlier question of this survey."]
    assert problems[4] == ["'note': a condition cannot test a text question."]
    assert problems[5] == ["'csat': a csat answer is a whole number from 1 to 5, not 6."]
    assert problems[6] == ["'why': 'nope' is not one of its options (waiting, price)."]
    assert problems[7] == ["'why': a reason question takes eq, ne, in, not_in."]
    assert problems[8] == ["'f' is not an earlier question of this survey."]


def test_a_survey_with_valid_conditions_is_stored_with_them():
    stored = as_stored(SURVEY)
    assert stored["questions"][1]["show_if"] == LOW_CSAT
    assert "show_if" not in stored["questions"][0]


def test_a_shown_question_is_required_and_a_hidden_one_refused():
    survey = as_stored(SURVEY)
    assert check_answers(survey, {"csat": 1, "why": "price", "nps": 3}) == {
        "csat": 1,
        "why": "price",
        "nps": 3,
    }
    assert check_answers(survey, {"csat": 4, "nps": 10}) == {"csat": 4, "nps": 10}
    with pytest.raises(ValidationError) as refused:
        check_answers(survey, {"csat": 1, "nps": 3})
    assert refused.value.messages == {"why": [REQUIRED]}
    with pytest.raises(ValidationError) as hidden:
        check_answers(survey, {"csat": 5, "why": "price", "nps": 3, "nps_why": "price"})
    # nps_why tests `why`, which has no answer once hidden: it is hidden too
    assert hidden.value.messages == {"why": [NOT_SHOWN], "nps_why": [NOT_SHOWN]}
    # nps_why is hidden when `why` was price, and shown (optional) otherwise
    with pytest.raises(ValidationError) as chained:
        check_answers(survey, {"csat": 1, "why": "price", "nps": 3, "nps_why": "waiting"})
    assert chained.value.messages == {"nps_why": [NOT_SHOWN]}
    assert check_answers(survey, {"csat": 1, "why": "waiting", "nps": 3, "nps_why": "price"})


# Properties: generated conditions over generated answers.
scores = st.integers(min_value=0, max_value=10)
answers_st = st.fixed_dictionaries({}, optional={"nps": scores, "csat": st.integers(1, 5)})
ops = st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"])
tests_st = st.builds(lambda k, op, v: {k: {op: v}}, st.sampled_from(["nps", "csat"]), ops, scores)
conditions_st = st.recursive(
    tests_st,
    lambda inner: st.builds(
        lambda name, parts: {name: parts},
        st.sampled_from(["all", "any"]),
        st.lists(inner, min_size=1, max_size=4),
    ),
    max_leaves=12,
)


@given(conditions_st, conditions_st, answers_st)
def test_any_and_all_combine_like_or_and_and(a, b, answers):
    assert holds({"any": [a, b]}, answers) == (holds(a, answers) or holds(b, answers))
    assert holds({"all": [a, b]}, answers) == (holds(a, answers) and holds(b, answers))
    assert holds({**a, **b}, answers) == holds({"all": [a, b]}, answers) or set(a) & set(b)


@given(st.integers(0, 10), st.lists(st.integers(0, 10), min_size=1, max_size=11), answers_st)
def test_in_is_any_of_eq_and_not_in_its_negation_when_answered(bound, values, answers):
    as_any = {"any": [{"nps": {"eq": v}} for v in values]}
    assert holds({"nps": {"in": values}}, answers) == holds(as_any, answers)
    if "nps" in answers:
        assert holds({"nps": {"not_in": values}}, answers) != holds(as_any, answers)
        assert holds({"nps": {"lte": bound}}, answers) != holds({"nps": {"gt": bound}}, answers)
        assert holds({"nps": {"ne": bound}}, answers) != holds({"nps": {"eq": bound}}, answers)
    else:  # an unanswered question fails every test
        assert not holds({"nps": {"ne": bound}}, answers)
        assert not holds({"nps": {"not_in": values}}, answers)


@given(conditions_st)
def test_a_generated_condition_is_well_shaped_and_valid_over_earlier_scores(condition):
    assert shape_errors(condition) == []
    questions = [
        question("csat", "csat", "满", "Sat"),
        question("nps", "nps", "推", "Rec"),
        {**question("x", "text", "说", "Say"), "show_if": condition},
    ]
    problems = condition_errors(questions).get(2, [])
    out_of_scale = any(
        not SCALE_OF[k][0] <= v <= SCALE_OF[k][1]
        for k, test in _leaves(condition)
        for v in test.values()
    )
    assert bool(problems) == out_of_scale


def _leaves(condition):
    for name, entry in condition.items():
        if name in ("all", "any"):
            for part in entry:
                yield from _leaves(part)
        else:
            yield name, entry


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda x: st.lists(x, max_size=3) | st.dictionaries(st.text(max_size=5), x, max_size=3),
    )
)
def test_any_json_is_either_refused_by_shape_or_evaluates(value):
    if not shape_errors(value):
        holds(value, {"csat": 1, "nps": 0})


@given(st.integers(1, 5), st.sampled_from(["waiting", "price"]), st.integers(0, 10))
def test_an_answer_to_a_hidden_question_never_changes_what_is_shown(csat, why, nps):
    questions = as_stored(SURVEY)["questions"]
    without = visible(questions, {"csat": csat, "nps": nps})
    with_hidden = visible(questions, {"csat": csat, "nps": nps, "why": why})
    if "why" not in without:
        assert with_hidden == without
    assert shown(questions[1], {"csat": csat}) == (csat <= 2)
