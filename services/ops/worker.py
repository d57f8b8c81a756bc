"""`surveyctl worker`: folds events into records and rollups, replays the spool, settles calls.

Several workers may run at once (on one host or many): each batch is one transaction guarded
by the folding watermark, so they never count twice. One at a time folds (a lease, renewed
every batch); the others replay their hosts' spools and stand by to take over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from pymongo.database import Database

from ops import retention
from ops.webhooks import deliver_due, http_send, mail_sender
from survey_core import sealing
from survey_core.folding.batch import fold_all
from survey_core.folding.lease import hold_lease
from survey_core.folding.reads import RECHECK
from survey_core.follow_ups.store import drain_queue
from survey_core.responses import events
from survey_core.responses.idle import settle_idle
from survey_core.responses.spool import Spool
from survey_core.settings import WorkerSettings
from survey_core.storage.client import database
from survey_core.surveys.catalog import SurveyCatalog, SurveyOf

log = logging.getLogger("voc.worker")
SWEEP_EVERY_S = 10.0  # idle calls and the re-check of folded events


def survey_lookup(db: Database, catalog: SurveyCatalog | None = None) -> SurveyOf:
    """Survey definitions by (slug, version), cached in the process."""
    return (catalog or SurveyCatalog()).lookup(db)


def step(
    db: Database,
    settings: WorkerSettings,
    survey_of: SurveyOf,
    sweep: bool,
    owner: str | None = None,
    retain: bool = False,
) -> int:
    """One round: replay the spool, settle idle calls and re-check what was folded a minute
    ago (when `sweep`), fold; returns how many events were folded. With `owner`, folding
    happens only while this worker holds the folding lease."""
    keyring = sealing.of(settings)
    written, left = Spool(settings.spool_dir).drain(lambda ev: events.insert(db, ev, keyring))
    if written:
        log.info("spool: replayed %d event(s), %d left", written, left)
    if sweep and settings.call_timeout_minutes:
        closed = settle_idle(db, settings.call_timeout_minutes)
        if closed:
            log.info("settled %d idle call(s)", closed)
    lease_s = max(10.0, 5 * settings.worker_interval_seconds)
    holding = (lambda: hold_lease(db, owner, lease_s)) if owner else (lambda: True)
    if not holding():
        return 0
    folded = fold_all(
        db, survey_of, settings.fold_lag_seconds, settings.fold_batch, may_go_on=holding
    )
    if sweep:
        lag, batch = settings.fold_recheck_seconds, settings.fold_batch
        fold_all(db, survey_of, lag, batch, watermark=RECHECK, may_go_on=holding)
    drain_queue(db, settings)  # unhappy responses: follow-ups and complaints
    if retain:  # personal data past its period (the folding lease's holder only)
        retention.run(db, settings, survey_of)
    if settings.webhook_secret:
        send = http_send
        if settings.smtp_host:
            send = mail_sender(settings.smtp_host, settings.smtp_port, settings.smtp_from)
        deliver_due(db, settings.webhook_secret, send, keyring=sealing.of(settings))
    return folded


def run(
    settings: WorkerSettings,
    stop: threading.Event | None = None,
    report: Callable[[str], None] | None = None,
) -> None:
    """Work until `stop` is set (or forever), riding out database outages."""
    stop = stop or threading.Event()
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    db = database(settings)
    survey_of = survey_lookup(db)
    last_sweep = 0.0
    last_retention = float("-inf")
    while not stop.is_set():
        try:
            sweep = time.monotonic() - last_sweep >= SWEEP_EVERY_S
            every = settings.retention_every_hours * 3600
            retain = bool(every) and time.monotonic() - last_retention >= every
            if retain:  # once per period, even if this round fails (no retry storm)
                last_retention = time.monotonic()
            folded = step(db, settings, survey_of, sweep, owner, retain)
            if sweep:
                last_sweep = time.monotonic()
            if folded and report:
                report(f"folded {folded} event(s)")
        except Exception as exc:  # noqa: BLE001 - a worker outlives any one failure
            log.warning("worker round deferred: %s: %s", type(exc).__name__, exc)
        stop.wait(settings.worker_interval_seconds)
