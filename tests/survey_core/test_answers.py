"""Per-question answer checks: strict, total (never anything but ValidationError), form-typed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from survey_core.surveys.answers import asked, check_answers, from_form
from survey_core.surveys.definitions import as_stored, question

SURVEY = as_stored(
    {
        "slug": "all-types",
        "title": {"zh-CN": "t", "en-US": "t"},
        "channels": ["web"],
        "languages": ["zh-CN", "en-US"],
        "default_language": "en-US",
        "greeting": {"zh-CN": "g", "en-US": "g"},
        "thanks": {"zh-CN": "t", "en-US": "t"},
        "questions": [
            question("csat", "csat", "满意", "Satisfied?"),
            question("nps", "nps", "推荐", "Recommend?"),
            question("ces", "ces", "容易", "Easy?", required=False),
            question(
                "why",
                "choice",
                "原因",
                "Why?",
                choices=[
                    {"value": "price", "label": {"zh-CN": "价格", "en-US": "Price"}},
                    {"value": "staff", "label": {"zh-CN": "员工", "en-US": "Staff"}},
                ],
            ),
            question(
                "topics",
                "multi",
                "话题",
                "Topics?",
                required=False,
                choices=[
                    {"value": "a", "label": {"zh-CN": "甲", "en-US": "A"}},
                    {"value": "b", "label": {"zh-CN": "乙", "en-US": "B"}},
                ],
            ),
            question("note", "text", "备注", "Note?", required=False, max_length=10),
            question("consent", "consent", "录音请按1", "Record? Press 1", required=False),
            question("voice", "recording", "留言", "Message?", required=False),
        ],
    }
)
GOOD = {"csat": 5, "nps": 0, "why": "staff"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


# The machine may be busy (benchmarks beside the tests): no time limits on generation.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


def test_the_consent_and_recording_questions_are_not_asked_on_a_page():
    assert [q["key"] for q in asked(SURVEY)] == ["csat", "nps", "ces", "why", "topics", "note"]


@pytest.mark.parametrize("value", [True, 1, "yes"])
def test_an_answer_to_the_phone_only_consent_question_is_refused(value):
    with pytest.raises(ValidationError) as refused:
        check_answers(SURVEY, {**GOOD, "consent": value})
    assert set(refused.value.messages) == {"consent"}


def test_good_answers_pass_unchanged():
    answers = {**GOOD, "ces": 1, "topics": ["b", "a"], "note": "0123456789"}
    assert check_answers(SURVEY, answers) == answers


@pytest.mark.parametrize(
    "change, key",
    [
        ({"csat": 3.0}, "csat"),
        ({"csat": True}, "csat"),
        ({"nps": 11}, "nps"),
        ({"why": "other"}, "why"),
        ({"topics": ["a", "a"]}, "topics"),
        ({"topics": "a"}, "topics"),
        ({"note": "01234567890"}, "note"),
        ({"voice": "https://r/1"}, "voice"),
    ],
)
def test_each_kind_of_bad_answer_is_named(change, key):
    with pytest.raises(ValidationError) as caught:
        check_answers(SURVEY, {**GOOD, **change})
    assert key in caught.value.messages


def test_a_draft_may_leave_required_questions_out():
    assert check_answers(SURVEY, {"ces": 2}, partial=True) == {"ces": 2}
    with pytest.raises(ValidationError):
        check_answers(SURVEY, {"ces": 2})


@relaxed
@given(
    st.dictionaries(
        st.sampled_from(["csat", "nps", "ces", "why", "topics", "note", "x"]), json_values
    )
)
def test_any_json_is_either_accepted_as_valid_or_refused_with_field_errors(answers):
    try:
        checked = check_answers(SURVEY, answers)
    except ValidationError as exc:
        assert isinstance(exc.messages, dict) and exc.messages
        return
    assert isinstance(checked["csat"], int) and not isinstance(checked["csat"], bool)
    assert 1 <= checked["csat"] <= 5 and 0 <= checked["nps"] <= 10


@relaxed
@given(
    st.lists(
        st.tuples(st.sampled_from(["csat", "nps", "topics", "note", "zz"]), st.text(max_size=12)),
        max_size=8,
    )
)
def test_any_form_is_typed_then_accepted_or_refused(pairs):
    answers = from_form(SURVEY, MultiDict(pairs))
    try:
        check_answers(SURVEY, answers)
    except ValidationError as exc:
        assert exc.messages
    for key in ("csat", "nps"):
        if isinstance(answers.get(key), int):
            assert str(answers[key]).isascii()


def test_a_form_score_must_be_ascii_digits():
    answers = from_form(SURVEY, MultiDict([("csat", "٣"), ("nps", "²"), ("ces", "3")]))
    assert answers == {"csat": "٣", "nps": "²", "ces": 3}
