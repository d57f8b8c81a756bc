"""The aggregator's settings: the core's, how complaints escalate, and the minimum sample of a
"best" trainer, and how often an address may try to sign in to the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey_core.settings import (
    ANONYMITY_MIN_DEFAULT,
    DEV_SECRETS,
    ComplaintSettings,
    LimitedSettings,
    Source,
)


@dataclass(frozen=True)
class AggregatorSettings(ComplaintSettings, LimitedSettings):
    min_trainer_sample: int
    secret_key: str  # signs the dashboard's session cookie
    dashboard_cookie_secure: bool
    self_rating_flag_share: float
    anonymity_min: int  # training sessions count only with this many evaluations (released)
    # Privacy requests find subjects by the services' keyed hashes (unset: only by interaction)
    phone_hash_key: str | None
    # Privacy requests delete recordings at Twilio with these (unset: erasure refuses them)
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_api_base_url: str | None
    rate_limit_sign_in: str  # dashboard sign-in attempts per client address

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        return super().read(src) | {
            "min_trainer_sample": src.integer("MIN_TRAINER_SAMPLE", 5, minimum=0),
            "secret_key": src.secret("SECRET_KEY"),
            "dashboard_cookie_secure": src.boolean("DASHBOARD_COOKIE_SECURE", not src.dev),
            "self_rating_flag_share": src.number("SELF_RATING_FLAG_SHARE", 0.95),
            "anonymity_min": src.integer("ANONYMITY_MIN", ANONYMITY_MIN_DEFAULT, minimum=1),
            "phone_hash_key": src.optional("PHONE_HASH_KEY")
            or (DEV_SECRETS["PHONE_HASH_KEY"] if src.dev else None),
            "twilio_account_sid": src.optional("TWILIO_ACCOUNT_SID"),
            "twilio_auth_token": src.optional("TWILIO_AUTH_TOKEN"),
            "twilio_api_base_url": src.optional("TWILIO_API_BASE_URL"),
            "rate_limit_sign_in": src.text("RATE_LIMIT_SIGN_IN", "10/minute;50/hour"),
        }
