"""`/metrics` in the Prometheus text format (prometheus-client; multiprocess mode under
gunicorn when PROMETHEUS_MULTIPROC_DIR is set, as `deploy/gunicorn.conf.py` does).

Counted per request: requests by route (the URL rule, never the path: a link's token stays out)
and status, latency histograms, database errors. Every label takes its values from a fixed set,
so no request adds a series: the method is one of HTTP's (any other is `other`), the route a
rule of the URL map (`(unmatched)` for any path that matches none), the status one of
`http.HTTPStatus` (`other` otherwise), an alert's category and level those the caller names.
Read at scrape time from the database and the disk: spool depth, events waiting to be folded,
fold lag.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pymongo.errors import PyMongoError

from survey_core.storage.client import get_db

REQUESTS = Counter(
    "voc_http_requests_total", "HTTP requests.", ["service", "route", "method", "status"]
)
LATENCY = Histogram(
    "voc_http_request_duration_seconds",
    "HTTP request latency.",
    ["service", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DATABASE_ERRORS = Counter(
    "voc_database_errors_total", "Database errors met by requests.", ["service", "kind"]
)
ALERTS_RAISED = Counter(
    "voc_alerts_raised_total", "Escalation alerts opened or escalated.", ["category", "level"]
)

bp = Blueprint("prometheus", __name__)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUSES = frozenset(str(s.value) for s in HTTPStatus)
UNMATCHED = "(unmatched)"
OTHER = "other"


def bounded(value: str, allowed: frozenset[str]) -> str:
    """`value` if it is one of `allowed`, else `other`: a label never grows a new series."""
    return value if value in allowed else OTHER


class PipelineCollector(Collector):
    """What the worker has to do, read when scraped: spool depth, unfolded events, fold lag."""

    def __init__(self, spool_dir: str) -> None:
        self.spool_dir = spool_dir

    def collect(self) -> Iterator[Metric]:
        spool = len(list(Path(self.spool_dir).glob("[0-9]*.json")))
        yield GaugeMetricFamily("voc_spool_depth", "Events waiting in this host's spool.", spool)
        try:
            db = get_db()
            state = db.fold_state.find_one({"_id": "events"}) or {}
            upto = state.get("upto")
            query = {"at": {"$gte": upto}} if upto else {}
            waiting = db.events.count_documents(query, limit=1_000_000)
            lag = (datetime.now(UTC) - upto).total_seconds() if upto else 0.0
        except PyMongoError:
            return
        yield GaugeMetricFamily("voc_events_unfolded", "Events not folded yet.", waiting)
        yield GaugeMetricFamily("voc_fold_lag_seconds", "Age of the folding watermark.", lag)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format."""
    counted: CollectorRegistry = REGISTRY  # one process: its own counts
    if os.path.isdir(os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")):  # gunicorn: all workers
        counted = CollectorRegistry()
        # prometheus_client leaves this constructor unannotated.
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    pipeline = CollectorRegistry()
    pipeline.register(PipelineCollector(current_app.config["SETTINGS"].spool_dir))
    body = generate_latest(counted) + generate_latest(pipeline)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _finish(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    service = str(current_app.config.get("SERVICE_NAME", ""))
    method = bounded(request.method, METHODS)
    REQUESTS.labels(service, route, method, bounded(str(response.status_code), STATUSES)).inc()
    started = g.get("started")  # set by observability's request start
    if started is not None:
        LATENCY.labels(service, route).observe(time.perf_counter() - started)
    return response


def count_database_error(kind: str) -> None:
    service = str(current_app.config.get("SERVICE_NAME", "")) if current_app else ""
    DATABASE_ERRORS.labels(service, kind).inc()


def count_alert(
    category: str, level: str, categories: frozenset[str], levels: frozenset[str]
) -> None:
    """One alert opened or escalated, labelled within `categories` and `levels`."""
    ALERTS_RAISED.labels(bounded(category, categories), bounded(level, levels)).inc()


def init_app(app: Flask) -> None:
    app.after_request(_finish)
    app.register_blueprint(bp)
