"""What gunicorn refuses before any app runs gets the services' JSON error shape, not HTML.

A real gunicorn (deploy/gunicorn.conf.py, the aggregator) on a free port, spoken to in raw bytes:
a request line over 4 KB, a 10 KB header, bad header bytes.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.gunicorn import running_gunicorn

ROOT = Path(__file__).resolve().parents[2]
SHAPE = {"code", "status", "message", "errors", "request_id"}


@pytest.fixture(scope="module")
def gunicorn(db_server, tmp_path_factory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("gunicorn")
    with running_gunicorn(
        "aggregator:create_app()", db_server.uri, tmp, MONGO_DB="gunicorn_errors"
    ) as port:
        yield port


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `raw`, read the whole answer (gunicorn closes after an error): status, headers
    (lower-case names), body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            data = b"".join(chunks)
            head, sep, body = data.partition(b"\r\n\r\n")
            length = [
                line.split(b":", 1)[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if sep and length and len(body) >= int(length[0]):
                break
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_json_error(answer, status: int, code: str) -> dict:
    got_status, headers, body = answer
    assert got_status == status, body
    assert headers["content-type"] == "application/json"
    found = json.loads(body)
    assert set(found) == SHAPE
    assert found["status"] == status and found["code"] == code
    assert found["errors"] == {} and found["message"]
    assert len(found["request_id"]) == 32 and headers["x-request-id"] == found["request_id"]
    return found


@pytest.mark.slow
def test_a_request_line_over_4_kb_is_a_json_414(gunicorn):
    raw = b"GET /api/v1/metrics/monthly?x=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert_json_error(exchange(gunicorn, raw), 414, "uri_too_long")


@pytest.mark.slow
def test_a_10_kb_header_is_a_json_431(gunicorn):
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10240 + b"\r\n\r\n"
    assert_json_error(exchange(gunicorn, raw), 431, "header_too_large")


@pytest.mark.slow
def test_too_many_headers_are_a_json_431(gunicorn):
    fields = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"
    assert_json_error(exchange(gunicorn, raw), 431, "header_too_large")


@pytest.mark.slow
@pytest.mark.parametrize(
    "raw",
    [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x01Name: v\r\n\r\n",  # control byte in a name
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Null: a\x00b\r\n\r\n",  # NUL in a value
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",  # an HTTP version we do not speak
        b"GET\r\n\r\n",  # no target, no version
    ],
    ids=["header-name-byte", "header-value-nul", "no-colon", "http-version", "request-line"],
)
def test_bad_header_bytes_and_request_lines_are_a_json_400(gunicorn, raw):
    assert_json_error(exchange(gunicorn, raw), 400, "bad_request")


@pytest.mark.slow
def test_the_app_answers_a_good_request_as_before(gunicorn):
    """Under the same worker, the app itself still answers (a 404 in the same shape)."""
    status, headers, _ = exchange(gunicorn, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200
    found = assert_json_error(
        exchange(gunicorn, b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        404,
        "not_found",
    )
    assert found["request_id"]


def test_a_header_the_app_may_not_send_is_a_500_not_a_client_error():
    from gunicorn.http import errors

    from survey_core.web.gunicorn_worker import refusal

    assert refusal(errors.InvalidResponseHeader("X\nY"))[:3] == (
        500,
        "Internal Server Error",
        "internal_error",
    )
    assert refusal(errors.InvalidHeader("X"))[2] == "bad_request"
    assert refusal(errors.ObsoleteFolding("X"))[2] == "bad_request"
    assert refusal(errors.ConfigurationProblem("forwarded headers"))[2] == "internal_error"
    assert refusal(errors.LimitRequestLine(5000, 4094))[:3] == (414, "URI Too Long", "uri_too_long")
    assert refusal(RuntimeError("boom"))[0] == 500
