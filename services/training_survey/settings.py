"""The training survey's settings: links (a week by default) and the anonymity threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from survey_core.settings import ANONYMITY_MIN_DEFAULT, LinkSettings, Source


@dataclass(frozen=True)
class TrainingSettings(LinkSettings):
    LINK_TTL_DEFAULT: ClassVar[float] = 7 * 24.0

    anonymity_min: int

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        minimum = src.integer("ANONYMITY_MIN", ANONYMITY_MIN_DEFAULT, minimum=1)
        return super().read(src) | {"anonymity_min": minimum}
