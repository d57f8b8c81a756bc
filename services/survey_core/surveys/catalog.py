"""Survey definitions cached in the process, so a database outage does not silence a call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pymongo.errors import PyMongoError

from survey_core.documents import Db
from survey_core.surveys.definitions import as_stored, get_survey

# A survey definition by (slug, version): what folding needs of a record's survey.
SurveyOf = Callable[[str, int], Mapping[str, Any] | None]


class SurveyCatalog:
    """Versions are cached for good (a version never changes once published); "latest" is
    refreshed every `ttl` seconds and served stale while the database is down. `builtins` (the
    service's seeded defaults, as version 1) are the last resort.
    """

    def __init__(self, builtins: Iterable[dict[str, Any]] = (), ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._builtins = {d["slug"]: d for d in builtins}
        self._versions: dict[tuple[str, int], dict[str, Any]] = {}
        self._latest: dict[str, tuple[float, dict[str, Any]]] = {}

    def clear(self) -> None:
        self._versions.clear()
        self._latest.clear()

    def _builtin(self, slug: str) -> dict[str, Any] | None:
        definition = self._builtins.get(slug)
        return as_stored(definition) if definition else None

    def latest(self, db: Db, slug: str) -> dict[str, Any] | None:
        cached = self._latest.get(slug)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        try:
            survey = get_survey(db, slug)
        except PyMongoError:
            survey = cached[1] if cached else self._builtin(slug)
            if survey is None:
                raise
            return survey
        if survey is not None:
            self._latest[slug] = (time.monotonic(), survey)
            self._versions[(slug, survey["version"])] = survey
        return survey

    def version(self, db: Db, slug: str, version: int) -> dict[str, Any] | None:
        survey = self._versions.get((slug, version))
        if survey is None:
            try:
                survey = get_survey(db, slug, version)
            except PyMongoError:
                builtin = self._builtin(slug)
                if builtin is None or version != 1:
                    raise
                survey = builtin
            if survey is not None:
                self._versions[(slug, version)] = survey
        return survey

    def lookup(self, db: Db) -> SurveyOf:
        """`version` bound to `db`: what folding and reports take."""
        return lambda slug, version: self.version(db, slug, version)
