"""The web survey service's settings: links (signing, lifetime, embedding, abuse limits) and
Twilio (texting links)."""

from __future__ import annotations

from dataclasses import dataclass

from survey_core.settings import LinkSettings, TwilioSettings


@dataclass(frozen=True)
class WebSettings(LinkSettings, TwilioSettings):
    pass
