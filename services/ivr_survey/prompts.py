"""The IVR's own phrases (question prompts come from the survey definition)."""

from __future__ import annotations

from typing import Any

from survey_core.surveys.definitions import localised

PHRASES: dict[str, dict[str, str]] = {
    "invalid": {
        "zh-CN": "抱歉，这不是有效的选项。",
        "en-US": "Sorry, that is not a valid answer.",
    },
    "silence": {
        "zh-CN": "抱歉，我们没有收到您的按键。",
        "en-US": "Sorry, we did not hear your answer.",
    },
    "not_now": {
        "zh-CN": "感谢您的来电，再见。",
        "en-US": "Thank you for calling. Goodbye.",
    },
    "trouble": {
        "zh-CN": "抱歉，系统暂时遇到问题。感谢您的来电，再见。",
        "en-US": "Sorry, we are having a technical problem. Thank you for calling. Goodbye.",
    },
}


# One option of a reason question's keypad menu.
REASON_OPTION = {"zh-CN": "{label}请按{digit}。", "en-US": "For {label}, press {digit}."}


def reason_menu(choices: list[dict[str, Any]], language: str) -> str:
    """A reason question's menu: each option's label and its keypad digit, in order."""
    template = REASON_OPTION.get(language) or REASON_OPTION["en-US"]
    return " ".join(
        template.format(label=localised(c["label"], language), digit=n)
        for n, c in enumerate(choices, start=1)
    )


def phrase(name: str, language: str) -> str:
    """A system phrase in `language` (falls back to en-US)."""
    options = PHRASES[name]
    return options.get(language) or options["en-US"]
