"""The IVR service's settings: the core's plus Twilio's and the caller-hash key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey_core.settings import ConfigError, Settings, Source


@dataclass(frozen=True)
class IvrSettings(Settings):
    phone_hash_key: str
    twilio_auth_token: str
    twilio_account_sid: str
    twilio_api_base_url: str | None
    twilio_validate: bool
    twilio_from_number: str

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        validate = src.boolean("TWILIO_VALIDATE_SIGNATURES", True)
        if not validate and not src.dev:
            raise ConfigError("TWILIO_VALIDATE_SIGNATURES=false is refused when VOC_ENV=production")
        return super().read(src) | {
            "phone_hash_key": src.secret("PHONE_HASH_KEY"),
            "twilio_auth_token": src.secret("TWILIO_AUTH_TOKEN"),
            "twilio_account_sid": src.text("TWILIO_ACCOUNT_SID", "AC" + "0" * 32),
            "twilio_api_base_url": src.optional("TWILIO_API_BASE_URL"),
            "twilio_validate": validate,
            "twilio_from_number": src.text("TWILIO_FROM_NUMBER"),
        }
