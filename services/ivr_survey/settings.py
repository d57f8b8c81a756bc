"""The IVR service's settings: Twilio's and the caller-hash key (from the core), and whether
webhook signatures are checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey_core.settings import ConfigError, Source, TwilioSettings


@dataclass(frozen=True)
class IvrSettings(TwilioSettings):
    twilio_validate: bool

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        validate = src.boolean("TWILIO_VALIDATE_SIGNATURES", True)
        if not validate and not src.dev:
            raise ConfigError("TWILIO_VALIDATE_SIGNATURES=false is refused when VOC_ENV=production")
        return super().read(src) | {"twilio_validate": validate}
