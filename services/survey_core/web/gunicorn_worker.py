"""gunicorn's gthread worker, answering the requests gunicorn refuses itself in our JSON shape.

gunicorn parses the request line and headers before any app runs, and answers what it cannot
parse (a request line over `limit_request_line`, a header over `limit_request_field_size`, bad
header bytes, a malformed request line...) with an HTML page of its own. This worker answers
them as every service answers its errors (survey_core.web.errors.error_body), with a request
id (X-Request-ID, also in the body and in gunicorn's warning line), so a client sees one error
shape whichever layer refused it. Named in deploy/gunicorn.conf.py (`worker_class`).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from gunicorn import util
from gunicorn.http import errors as http
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.gthread import ThreadWorker

_BAD = (400, "Bad Request", "bad_request")
# (gunicorn's exception, by name, status, reason phrase, our code, message): first match wins.
# By name, so a gunicorn without one of them (they came over versions) still loads this.
_REFUSALS = (
    ("LimitRequestLine", 414, "URI Too Long", "uri_too_long",
     "The request line is longer than the server accepts."),
    ("LimitRequestHeaders", 431, "Request Header Fields Too Large", "header_too_large",
     "A request header, or the headers together, are larger than the server accepts."),
    ("UnsupportedTransferCoding", 501, "Not Implemented", "not_implemented",
     "The request's transfer coding is not supported."),
    ("ExpectationFailed", 417, "Expectation Failed", "expectation_failed",
     "The request's Expect header cannot be met."),
    ("ForbiddenProxyRequest", 403, "Forbidden", "forbidden", "The request is forbidden."),
    ("InvalidHeaderName", *_BAD, "A request header name is not valid."),
    ("InvalidHeader", *_BAD, "A request header is not valid."),
    ("InvalidRequestLine", *_BAD, "The request line is not valid HTTP."),
    ("InvalidRequestMethod", *_BAD, "The request method is not valid."),
    ("InvalidHTTPVersion", *_BAD, "The request's HTTP version is not supported."),
    # Anything else gunicorn could not parse: obsolete line folding, chunk framing, PROXY lines.
    ("ParseException", *_BAD, "The request is not valid HTTP."),
)  # fmt: skip
REFUSALS: tuple[tuple[type[BaseException], int, str, str, str], ...] = tuple(
    (getattr(http, name), *answer) for name, *answer in _REFUSALS if hasattr(http, name)
)
# Errors of the server's own making are 500s, though they subclass the client errors above: a
# response header the app may not send, gunicorn's own configuration (forwarded headers).
SERVER_ERRORS = tuple(
    getattr(http, name)
    for name in ("InvalidResponseHeader", "InvalidResponseHeaderName", "ConfigurationProblem")
    if hasattr(http, name)
)


def refusal(exc: BaseException) -> tuple[int, str, str, str]:
    """(status, reason phrase, code, message) of an error raised while serving a request."""
    if not isinstance(exc, SERVER_ERRORS):
        for kind, status, reason, code, message in REFUSALS:
            if isinstance(exc, kind):
                return status, reason, code, message
    return 500, "Internal Server Error", "internal_error", "An unexpected error occurred."


def error_bytes(status: int, reason: str, code: str, message: str, request_id: str) -> bytes:
    """The whole HTTP response: the JSON error shape, and the connection closed after it."""
    from survey_core.web.errors import error_body

    body = json.dumps(error_body(status, code, message, None, request_id)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):
    """gthread, with gunicorn's own error answers in the services' JSON error shape."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        started = datetime.now()
        addr = addr or ("", -1)  # a unix socket
        status, reason, code, message = refusal(exc)
        request_id = uuid.uuid4().hex
        if status == 500:
            uri = getattr(req, "uri", "(no URI read)")
            self.log.exception("Error handling request %s (request id %s)", uri, request_id)
        else:
            self.log.warning(
                "Invalid request from ip=%s: %s (%s %s, request id %s)",
                addr[0],
                exc,
                status,
                code,
                request_id,
            )
        data = error_bytes(status, reason, code, message, request_id)
        if req is None and isinstance(exc, http.InvalidHeader | http.InvalidHeaderName):
            req = getattr(exc, "req", None)  # the request whose headers failed (access log)
        if req is not None:
            try:
                environ = default_environ(req, client, self.cfg)
                environ["REMOTE_ADDR"] = addr[0]
                environ["REMOTE_PORT"] = str(addr[1])
                resp = Response(req, client, self.cfg)
                resp.status = f"{status} {reason}"
                resp.response_length = len(data)
                self.log.access(resp, req, environ, datetime.now() - started)
            except Exception:  # the access line is not worth losing the answer for
                self.log.debug("Failed to log the refused request.")
        try:
            util.write_nonblock(client, data)
        except Exception:
            self.log.debug("Failed to send error message.")
