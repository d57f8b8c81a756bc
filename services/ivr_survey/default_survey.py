"""The IVR's default post-call survey: its prompts, as seeded on `surveyctl db init`."""

from __future__ import annotations

from typing import Any

from survey_core.surveys.definitions import question
from survey_core.surveys.low_scores import default_reason_question
from survey_core.surveys.schema import LANGUAGES

DEFAULT_IVR_SURVEY = "post-call"

POST_CALL: dict[str, Any] = {
    "slug": DEFAULT_IVR_SURVEY,
    "title": {"zh-CN": "通话满意度调查", "en-US": "Post-call survey"},
    "channels": ["ivr"],
    "languages": list(LANGUAGES),
    "default_language": "zh-CN",
    "greeting": {
        "zh-CN": "感谢您的来电。请花一分钟时间为我们的服务打分。",
        "en-US": "Thank you for calling. Please take a minute to rate our service.",
    },
    "thanks": {
        "zh-CN": "感谢您的反馈，再见。",
        "en-US": "Thank you for your feedback. Goodbye.",
    },
    "questions": [
        question(
            "csat",
            "csat",
            "您对本次服务的满意程度如何？请按1到5，5表示非常满意。",
            "How satisfied were you with this call? Press 1 to 5, where 5 is very satisfied.",
        ),
        question(
            "nps",
            "nps",
            "您有多大可能向朋友推荐我们？请按0到10，按1再按0表示10，然后按井号键。",
            "How likely are you to recommend us to a friend? Press 0 to 10; for 10 press 1 "
            "then 0, then the pound key.",
        ),
        # Asked only after a CSAT of 1-2 or an NPS of 0-6; the keypad menu follows the prompt.
        default_reason_question(
            "您给出这个评分的主要原因是什么？",
            "What was the main reason for your score?",
        ),
        question(
            "ces",
            "ces",
            "解决您的问题有多容易？请按1到5，1表示非常容易。",
            "How easy was it to get your issue resolved? Press 1 to 5, where 1 is very easy.",
        ),
        # Asked before the comment is recorded: only a 1 (yes) leads to the <Record>.
        question(
            "consent",
            "consent",
            "如果您想留下录音留言，请按1；跳过请按2。",
            "To leave a recorded comment, press 1. To skip, press 2.",
            required=False,
        ),
        {
            **question(
                "comment",
                "recording",
                "如果您还有其他意见，请在提示音后留言，完成后按井号键。",
                "If you have any other comments, please speak after the tone and press the "
                "pound key when done.",
                required=False,
            ),
            "max_seconds": 60,
        },
    ],
    "sample_rate": 1.0,
    "suppress_days": 30,
}
