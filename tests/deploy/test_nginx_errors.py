"""What nginx refuses itself (a request line or header over its buffers, a bad request) gets
the services' JSON error shape, not nginx's HTML page (deploy/nginx.conf)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from ops.devstack import end_processes, wait_for_port
from tests.dbserver import free_port
from tests.deploy.test_gunicorn_errors import assert_json_error, exchange

ROOT = Path(__file__).resolve().parents[2]
CONF = (ROOT / "deploy" / "nginx.conf").read_text()
SHAPE = {"code", "status", "message", "errors", "request_id"}


def error_pages() -> dict[str, str]:
    """{status nginx refuses with: the URI of its error page}."""
    return dict(re.findall(r"error_page (\d+) (?:=\d+ )?(\S+);", CONF))


def returned(uri: str) -> tuple[int, dict]:
    """The status and JSON body the error page's location returns ($request_id filled in)."""
    block = re.search(r"location = " + re.escape(uri) + r" \{(.*?)\n    \}", CONF, re.S)
    assert block, f"no location for {uri}"
    assert "default_type application/json;" in block.group(1)
    status, body = re.search(r"return (\d+) '(.*)';", block.group(1)).groups()
    return int(status), json.loads(body.replace("$request_id", "0" * 32))


@pytest.mark.parametrize(
    "refused, status, code",
    [("400", 400, "bad_request"), ("414", 414, "uri_too_long"), ("494", 431, "header_too_large")],
)
def test_nginx_answers_its_own_refusals_in_the_json_error_shape(refused, status, code):
    uri = error_pages()[refused]
    found_status, body = returned(uri)
    assert found_status == status
    assert set(body) == SHAPE and body["code"] == code and body["status"] == status
    assert f"error_page {refused} ={status} {uri};" in CONF or refused == str(status)


def test_nginx_header_buffers_are_stated():
    assert "large_client_header_buffers 4 8k;" in CONF


@contextmanager
def running_nginx(tmp: Path, upstreams: Mapping[str, int] | None = None) -> Iterator[int]:
    """deploy/nginx.conf served by a real nginx on a free loopback port (its port yielded).
    Each upstream `server host:port;` points at 127.0.0.1: at `upstreams[host]` where given,
    else at the same port."""
    if not shutil.which("nginx"):
        pytest.skip("nginx not installed (`apt-get install nginx-light`)")
    upstreams = upstreams or {}
    port = free_port()
    site = re.sub(
        r"server (\w+):(\d+);",
        lambda m: f"server 127.0.0.1:{upstreams.get(m.group(1), m.group(2))};",
        CONF,
    )
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    site = site.replace("/var/log/nginx/access.log", str(tmp / "access.log"))
    temp = " ".join(
        f"{kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi")
    )
    (tmp / "nginx.conf").write_text(
        f"pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\nevents {{}}\n"
        f"http {{ {temp} scgi_temp_path {tmp / 'scgi'};\n{site}\n}}\n"
    )
    proc = subprocess.Popen(
        ["nginx", "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port, 15):
            raise RuntimeError("nginx did not start: " + (tmp / "error.log").read_text())
        yield port
    finally:
        end_processes([proc], signal.SIGQUIT)


@pytest.fixture(scope="module")
def nginx(tmp_path_factory) -> Iterator[int]:
    with running_nginx(tmp_path_factory.mktemp("nginx")) as port:
        yield port


@pytest.mark.slow
@pytest.mark.parametrize(
    "raw, status, code",
    [
        (b"GET /api/v1/x?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10240 + b"\r\n\r\n",
            431,
            "header_too_large",
        ),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x01Name: v\r\n\r\n", 400, "bad_request"),
        (b"GET\r\n\r\n", 400, "bad_request"),
        (b"GET /healthz HTTP/1.1\r\n\r\n", 400, "bad_request"),  # HTTP/1.1 without Host
    ],
    ids=["request-line", "header", "header-name-byte", "request-line-bytes", "no-host"],
)
def test_a_running_nginx_refuses_in_the_json_error_shape(nginx, raw, status, code):
    assert_json_error(exchange(nginx, raw), status, code)


@pytest.mark.slow
def test_the_error_pages_are_not_served_directly(nginx):
    status, headers, body = exchange(
        nginx, b"GET /errors/400.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 404 and headers["content-type"] == "application/json"
    assert json.loads(body)["code"] == "not_found"
