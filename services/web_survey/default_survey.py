"""The web channel's default post-contact questionnaire, as seeded on `surveyctl db init`."""

from __future__ import annotations

from typing import Any

from survey_core.surveys.definitions import question
from survey_core.surveys.low_scores import default_reason_question
from survey_core.surveys.schema import LANGUAGES

DEFAULT_WEB_SURVEY = "post-contact"

POST_CONTACT: dict[str, Any] = {
    "slug": DEFAULT_WEB_SURVEY,
    "title": {"zh-CN": "服务满意度调查", "en-US": "How did we do?"},
    "channels": ["web", "chat", "email", "sms"],
    "languages": list(LANGUAGES),
    "default_language": "zh-CN",
    "greeting": {"zh-CN": "感谢您联系我们。", "en-US": "Thank you for contacting us."},
    "thanks": {"zh-CN": "感谢您的反馈！", "en-US": "Thank you for your feedback!"},
    "questions": [
        question(
            "csat", "csat", "您对本次服务满意吗？", "How satisfied were you with our service?"
        ),
        question(
            "nps", "nps", "您有多大可能向朋友推荐我们？", "How likely are you to recommend us?"
        ),
        # Asked only after a CSAT of 1-2 or an NPS of 0-6 (a second step of the page).
        default_reason_question(
            "您给出这个评分的主要原因是什么？", "What was the main reason for your score?"
        ),
        question("ces", "ces", "解决问题有多容易？", "How easy was it to resolve your issue?"),
        question(
            "comment",
            "text",
            "还有其他意见吗？",
            "Anything else you would like to tell us?",
            required=False,
        ),
    ],
    "sample_rate": 1.0,
    "suppress_days": 0,
}
