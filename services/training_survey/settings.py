"""The training survey's settings: links (a week by default) and the anonymity threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from survey_core.settings import LinkSettings, Source


@dataclass(frozen=True)
class TrainingSettings(LinkSettings):
    LINK_TTL_DEFAULT: ClassVar[float] = 7 * 24.0

    anonymity_min: int

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        return super().read(src) | {"anonymity_min": src.integer("ANONYMITY_MIN", 3, minimum=1)}
