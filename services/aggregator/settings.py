"""The aggregator's settings: the core's, the minimum sample of a "best" trainer, and how
complaints escalate (the growth rule's minimum baseline, where alerts are delivered)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey_core.settings import ConfigError, Settings, Source


@dataclass(frozen=True)
class AggregatorSettings(Settings):
    min_trainer_sample: int
    growth_min_baseline: int
    alert_webhook_urls: tuple[str, ...]

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        urls = tuple(u.strip() for u in src.text("ALERT_WEBHOOK_URLS").split(",") if u.strip())
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"ALERT_WEBHOOK_URLS: {url!r} is not an http(s) URL")
        return super().read(src) | {
            "min_trainer_sample": src.integer("MIN_TRAINER_SAMPLE", 5, minimum=0),
            "growth_min_baseline": src.integer("GROWTH_MIN_BASELINE", 10, minimum=0),
            "alert_webhook_urls": urls,
        }
