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

# (gunicorn's exception, status, reason phrase, our code, message), first match wins.
_BAD_REQUEST = (400, "Bad Request", "bad_request", "The request is not valid HTTP.")
REFUSALS: tuple[tuple[type[BaseException], int, str, str, str], ...] = (
    (
        http.LimitRequestLine,
        414,
        "URI Too Long",
        "uri_too_long",
        "The request line is longer than the server accepts.",
    ),
    (
        http.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "header_too_large",
        "A request header, or the headers together, are larger than the server accepts.",
    ),
    (
        http.UnsupportedTransferCoding,
        501,
        "Not Implemented",
        "not_implemented",
        "The request's transfer coding is not supported.",
    ),
    (
        http.ExpectationFailed,
        417,
        "Expectation Failed",
        "expectation_failed",
        "The request's Expect header cannot be met.",
    ),
    (http.ForbiddenProxyRequest, 403, "Forbidden", "forbidden", "The request is forbidden."),
    (
        http.InvalidHeaderName,
        400,
        "Bad Request",
        "bad_request",
        "A request header name is not valid.",
    ),
    (http.InvalidHeader, 400, "Bad Request", "bad_request", "A request header is not valid."),
    (
        http.InvalidRequestLine,
        400,
        "Bad Request",
        "bad_request",
        "The request line is not valid HTTP.",
    ),
    (
        http.InvalidRequestMethod,
        400,
        "Bad Request",
        "bad_request",
        "The request method is not valid.",
    ),
    (
        http.InvalidHTTPVersion,
        400,
        "Bad Request",
        "bad_request",
        "The request's HTTP version is not supported.",
    ),
    (http.ParseException, *_BAD_REQUEST),  # obsolete folding, chunk framing, PROXY lines...
)
# Errors of the app's own making (a response header it may not send) are 500s, not the
# client's fault, though they subclass the client errors above.
APP_ERRORS = (http.InvalidResponseHeader, http.InvalidResponseHeaderName)


def refusal(exc: BaseException) -> tuple[int, str, str, str]:
    """(status, reason phrase, code, message) of an error raised while serving a request."""
    if not isinstance(exc, APP_ERRORS):
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
