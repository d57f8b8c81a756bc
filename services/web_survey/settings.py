"""The web survey service's settings: link signing, link lifetime, embedding, abuse limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey_core.settings import Source, TwilioSettings


@dataclass(frozen=True)
class WebSettings(TwilioSettings):
    secret_key: str
    link_ttl_hours: float
    frame_ancestors: str
    rate_limit_public: str
    rate_limit_storage_uri: str | None  # default: the service's own MongoDB

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        return super().read(src) | {
            "secret_key": src.secret("SECRET_KEY"),
            "link_ttl_hours": src.number("LINK_TTL_HOURS", 72.0, minimum=0.1),
            "frame_ancestors": src.text("FRAME_ANCESTORS", "'none'"),
            "rate_limit_public": src.text("RATE_LIMIT_PUBLIC", "120/minute;2000/hour"),
            "rate_limit_storage_uri": src.optional("RATE_LIMIT_STORAGE_URI"),
        }
