"""The trainee's evaluation of a session and its trainer, as seeded on `surveyctl db init`."""

from __future__ import annotations

from typing import Any

from survey_core.surveys.definitions import question
from survey_core.surveys.schema import LANGUAGES

TRAINING_SURVEY = "training-evaluation"
CRITERIA = ("communication", "clarity", "interaction", "overall")

TRAINING_EVALUATION: dict[str, Any] = {
    "slug": TRAINING_SURVEY,
    "title": {"zh-CN": "培训评价", "en-US": "Rate this training session"},
    "channels": ["training"],
    "languages": list(LANGUAGES),
    "default_language": "zh-CN",
    "greeting": {
        "zh-CN": "您的评价是匿名的：讲师看不到是谁给出的评分。",
        "en-US": "Your evaluation is anonymous: the trainer cannot see who gave which rating.",
    },
    "thanks": {"zh-CN": "感谢您的评价！", "en-US": "Thank you for your evaluation!"},
    "questions": [
        question("communication", "rating", "讲师的沟通表达", "The trainer's communication"),
        question("clarity", "rating", "讲解是否清晰", "Clarity of the explanations"),
        question("interaction", "rating", "与学员的互动", "Interaction with the trainees"),
        question("overall", "rating", "总体评价", "Overall"),
        question(
            "recommend",
            "nps",
            "您有多大可能向同事推荐这次培训？",
            "How likely are you to recommend this session to a colleague?",
            required=False,
        ),
        question(
            "comment",
            "text",
            "其他意见",
            "Anything else you would like to say?",
            required=False,
            max_length=2000,
        ),
    ],
    "sample_rate": 1.0,
    "suppress_days": 0,
}
