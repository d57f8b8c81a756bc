"""Request ids, JSON logs and access logs; no phone number ever reaches a log line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}\Z")
# Phone numbers as people write them, masked before anything is written: E.164 (+8613812345678),
# grouped national numbers (138-1234-5678, 138 1234 5678, 138.1234.5678, (555) 123-4567), the
# same after a country code (+86 138 1234 5678, +1-555-123-4567) and bare runs of 9+ digits.
# Each form ends on its own last digit group, so the mask never swallows what follows (an
# access line's status, a duration): dates, times and decimals are not phone-shaped. A digit
# run inside an ASCII word (a hex request id, a CallSid) is not a number; beside other text
# (电话13812345678, caller_13812345678) it is.
_SEP = r"[ .-]?"
_NATIONAL = rf"(?:\(\d{{2,4}}\)|\d{{2,4}}){_SEP}\d{{3,4}}{_SEP}\d{{4}}"
_PHONE = re.compile(
    rf"(?<![A-Za-z0-9+])(?<!\d\.)(?:\+\d{{1,3}}{_SEP}{_NATIONAL}|\+\d{{7,15}}|{_NATIONAL}|\d{{9,}})"
    r"(?![A-Za-z0-9])(?!\.\d)"
)
# A signed link's token (itsdangerous: payload.signature) is a credential: never logged, so a
# log line cannot be joined to the answers given through the link.
_TOKEN = re.compile(r"/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)?")
access_log = logging.getLogger("voc.access")


def redact(text: str) -> str:
    """Mask phone-number-like runs of digits and link tokens."""
    return _PHONE.sub("[redacted]", _TOKEN.sub("/[token]", text))


def _redacted(value: Any) -> Any:
    """`value` with every string in it, however nested, passed through `redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the fields a log pipeline indexes."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        # Every structured field too (the access log's path is /ivr/+86..., for one).
        entry.update(_redacted(getattr(record, "fields", {})))
        if "request_id" not in entry and has_request_context() and g.get("request_id"):
            entry["request_id"] = g.request_id  # every line of a request, errors included
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stdout is at the time (gunicorn, pytest capture)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """Send every log line to stdout as JSON (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h, StdoutHandler) for h in root.handlers):
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("pymongo").setLevel(logging.WARNING)
    # twilio's client logs whole requests (numbers included) at INFO.
    logging.getLogger("twilio").setLevel(logging.WARNING)


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if not access_log.isEnabledFor(logging.INFO):  # LOG_LEVEL above INFO: nothing to build
        return response
    started = g.get("started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
    # The path only: query strings and bodies may carry personal data. It is masked on its own,
    # before it joins the message, so no mask can reach into the status beside it.
    path = redact(request.path)
    access_log.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "fields": {
                "request_id": g.get("request_id"),
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "service": request.environ.get("voc.service") or _service_name(),
            }
        },
    )
    return response


def _service_name() -> str:
    from flask import current_app

    return str(current_app.config.get("SERVICE_NAME", ""))


def init_app(app: Flask) -> None:
    """Give every request an id (X-Request-ID in and out) and a JSON access-log line."""
    app.before_request(_start_request)
    app.after_request(_finish_request)
