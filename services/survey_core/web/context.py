"""Each app's survey catalog (in `app.extensions`) and each request's report snapshot (in `g`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app, g

from survey_core.reports.snapshot import Snapshot
from survey_core.storage.client import get_db
from survey_core.surveys.catalog import SurveyCatalog, SurveyOf

CATALOG = "voc.catalog"


def init_catalog(app: Flask, builtins: Iterable[dict[str, Any]] = ()) -> SurveyCatalog:
    """Give `app` its survey catalog, with the service's default surveys built in."""
    catalog = SurveyCatalog(builtins=builtins)
    app.extensions[CATALOG] = catalog
    return catalog


def survey_catalog() -> SurveyCatalog:
    """This app's survey catalog."""
    catalog: SurveyCatalog = current_app.extensions[CATALOG]
    return catalog


def survey_of() -> SurveyOf:
    """Survey definitions by (slug, version), from this app's catalog and database."""
    return survey_catalog().lookup(get_db())


def snapshot() -> Snapshot:
    """This request's snapshot of the rollups: the unfolded events are read and folded once,
    however many reports the request runs."""
    found: Snapshot | None = g.get("voc_snapshot")
    if found is None:
        found = g.voc_snapshot = Snapshot(get_db(), survey_of())
    return found
