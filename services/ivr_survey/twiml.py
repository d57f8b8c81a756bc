"""Small pure TwiML builders, each returning a VoiceResponse."""

from __future__ import annotations

from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from ivr_survey.prompts import phrase, reason_menu
from survey_core.surveys.definitions import localised

SCORE_TIMEOUT_S = 6
# NPS needs two keys for 10, so it ends on "#" or after a short pause instead of one digit.
NPS_TIMEOUT_S = 3


def question(
    response: VoiceResponse,
    survey: dict[str, Any],
    index: int,
    language: str,
    action: str,
    record_action: str,
    transcribe_action: str | None,
) -> VoiceResponse:
    """Append the question at `index`: a <Gather> for keys, a <Record> for spoken comments."""
    q = survey["questions"][index]
    prompt = localised(q["prompt"], language)
    if q["type"] == "recording":
        response.say(prompt, language=language)
        options: dict[str, Any] = {
            "action": record_action,
            "method": "POST",
            "max_length": q.get("max_seconds") or 60,
            "finish_on_key": "#",
            "play_beep": True,
            "timeout": 5,
        }
        if transcribe_action:
            options.update(transcribe=True, transcribe_callback=transcribe_action)
        response.record(**options)
        # No audio means Twilio skips the action: thank the caller here instead.
        return thanks(response, survey, language)
    gather_options: dict[str, Any] = {
        "input": "dtmf",
        "action": action,
        "method": "POST",
        "action_on_empty_result": True,
    }
    if q["type"] == "nps":
        gather_options.update(finish_on_key="#", timeout=NPS_TIMEOUT_S)
    else:
        gather_options.update(num_digits=1, timeout=SCORE_TIMEOUT_S)
    gather = response.gather(**gather_options)
    if q["type"] == "reason":  # "press 1 for waiting time, 2 for ...", from the options' labels
        prompt = f"{prompt} {reason_menu(q['choices'], language)}"
    gather.say(prompt, language=language)
    # Reached only if a Gather ends without calling its action (no actionOnEmptyResult): the
    # same action then hears about the silence.
    response.redirect(action, method="POST")
    return response


def say(response: VoiceResponse, name: str, language: str) -> VoiceResponse:
    response.say(phrase(name, language), language=language)
    return response


def thanks(response: VoiceResponse, survey: dict[str, Any], language: str) -> VoiceResponse:
    response.say(localised(survey["thanks"], language), language=language)
    response.hangup()
    return response


def goodbye(language: str, name: str = "not_now") -> VoiceResponse:
    response = VoiceResponse()
    say(response, name, language)
    response.hangup()
    return response
