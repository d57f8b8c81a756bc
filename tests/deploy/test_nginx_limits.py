"""nginx's per-address limits (deploy/nginx.conf): every public path and the dashboard sign-in
are limited at the edge, the IVR webhooks are not, and past a limit nginx answers 429 in the
services' JSON error shape with a Retry-After that matches its zone's rate."""

from __future__ import annotations

import http.client
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.dbserver import free_port
from tests.deploy.gunicorn import running_gunicorn
from tests.deploy.test_nginx_errors import CONF, SHAPE, returned, running_nginx

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ["/s/", "/t/", "/api/v1/responses", "/api/v1/evaluations"]
UNIT_S = {"s": 1, "m": 60}


def location(prefix: str) -> str:
    """The body of the location block for `prefix` (`= /x` for an exact one)."""
    found = re.search(r"\n    location " + re.escape(prefix) + r"\s+\{(.*?)\}\n", CONF, re.S)
    assert found, f"no location {prefix}"
    return found.group(1)


def zones() -> dict[str, tuple[str, float]]:
    """{zone: (its key, seconds per request)}."""
    return {
        name: (key, UNIT_S[unit] / int(count))
        for key, name, count, unit in re.findall(
            r"limit_req_zone (\$\w+) zone=(\w+):\w+ rate=(\d+)r/([sm]);", CONF
        )
    }


def retry_after_of(page: str) -> int:
    block = re.search(r"location = " + re.escape(page) + r" \{(.*?)\n    \}", CONF, re.S)
    assert block, f"no location for {page}"
    return int(re.search(r"add_header Retry-After (\d+) always;", block.group(1)).group(1))


def page_429(body: str) -> str:
    """The error page a location's 429 goes to: its own, else the server's."""
    own = re.search(r"error_page 429 (\S+);", body)
    return own.group(1) if own else re.search(r"\n    error_page 429 (\S+);", CONF).group(1)


@pytest.mark.parametrize(
    "prefix, zone", [(p, "public") for p in PUBLIC] + [("= /dashboard/sign-in", "sign_in")]
)
def test_public_paths_and_sign_in_are_limited_per_address_at_the_edge(prefix, zone):
    assert re.search(rf"limit_req zone={zone} burst=\d+ nodelay;", location(prefix))
    key, _ = zones()[zone]
    assert key in ("$binary_remote_addr", "$sign_in_attempt")
    assert "limit_req_status 429;" in CONF


def test_only_sign_in_posts_count_against_the_sign_in_zone():
    mapped = re.search(r"map \$request_method \$sign_in_attempt \{(.*?)\}", CONF, re.S).group(1)
    assert re.search(r"POST\s+\$binary_remote_addr;", mapped)
    assert re.search(r'default\s+"";', mapped)


@pytest.mark.parametrize("prefix", ["/ivr/", "/api/v1/callbacks"])
def test_the_twilio_webhooks_are_not_limited_per_address_at_the_edge(prefix):
    assert "limit_req" not in location(prefix)


@pytest.mark.parametrize(
    "prefix, zone", [(p, "public") for p in PUBLIC] + [("= /dashboard/sign-in", "sign_in")]
)
def test_each_edge_429_is_json_with_the_retry_after_of_its_zones_rate(prefix, zone):
    page = page_429(location(prefix))
    status, body = returned(page)
    assert status == 429 and set(body) == SHAPE
    assert body["code"] == "too_many_requests" and body["status"] == 429 and body["errors"] == {}
    _, seconds_per_request = zones()[zone]
    assert retry_after_of(page) == max(1, math.ceil(seconds_per_request))


@pytest.fixture(scope="module")
def web_gunicorn(db_server, tmp_path_factory) -> Iterator[int]:
    """The web survey under a real gunicorn (deploy/gunicorn.conf.py), its own limit far away."""
    tmp = tmp_path_factory.mktemp("gunicorn_web")
    with running_gunicorn(
        "web_survey:create_app()",
        db_server.uri,
        tmp,
        MONGO_DB="nginx_limits",
        PUBLIC_BASE_URL="https://voc.example.com",
        TWILIO_AUTH_TOKEN="test-auth-token",
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TRUSTED_PROXIES="1",
        RATE_LIMIT_PUBLIC="100000/minute",
    ) as port:
        yield port


@pytest.fixture
def edge(web_gunicorn, tmp_path) -> Iterator[int]:
    """A fresh nginx (fresh zones) in front of the web survey; the aggregator's port is closed."""
    with running_nginx(tmp_path, {"web": web_gunicorn, "aggregator": free_port()}) as port:
        yield port


def hammer(
    port: int, method: str, paths: list[str], most: int
) -> tuple[list[int], http.client.HTTPResponse, bytes]:
    """Send up to `most` requests to `paths` in turn on one connection (bounded, ten seconds at
    most) until nginx answers 429: the statuses before it, the 429 and its body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    statuses: list[int] = []
    deadline = time.monotonic() + 10
    try:
        for i in range(most):
            assert time.monotonic() < deadline, f"no 429 within 10 s: {statuses}"
            conn.request(method, paths[i % len(paths)], body=b"" if method == "POST" else None)
            response = conn.getresponse()
            body = response.read()
            if response.status == 429:
                return statuses, response, body
            statuses.append(response.status)
        raise AssertionError(f"no 429 after {most} requests: {set(statuses)}")
    finally:
        conn.close()


def assert_edge_429(response: http.client.HTTPResponse, body: bytes, retry_after: str) -> None:
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Retry-After") == retry_after
    found = json.loads(body)
    assert set(found) == SHAPE and found["code"] == "too_many_requests"
    assert found["status"] == 429 and found["errors"] == {}
    assert response.getheader("X-Request-ID") == found["request_id"]


def fetch(port: int, method: str, path: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=b"" if method == "POST" else None)
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


@pytest.mark.slow
def test_hammering_a_public_path_through_nginx_gets_a_json_429_with_retry_after(edge):
    """300 requests, 16 at a time (faster than the zone's 20 a second refills even on a busy
    machine): the app answers the first 61 and what refilled, nginx refuses the rest. Other
    spellings of the public paths (percent-encoded, doubled slashes) count in the same zone."""
    spellings = [
        "/api/v1/responses/nonsense",
        "/%73/nonsense",
        "//s/nonsense",
        "/api/v1/%72esponses/nonsense",
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: fetch(edge, "GET", spellings[i % 4]), range(300)))
    elapsed = time.monotonic() - started
    statuses = Counter(response.status for response, _ in answers)
    assert set(statuses) == {404, 429}, statuses  # the app's own answer, or nginx's limit
    assert 61 <= statuses[404] <= 61 + math.ceil(20 * elapsed) + 1
    response, body = next(answer for answer in answers if answer[0].status == 429)
    assert_edge_429(response, body, "1")
    time.sleep(1.0)  # Retry-After: a slot has freed up by then
    assert fetch(edge, "GET", "/s/nonsense")[0].status == 404  # /s/, same zone, let through


@pytest.mark.slow
def test_hammering_dashboard_sign_in_through_nginx_gets_a_json_429_with_retry_after(edge):
    """Its other spellings (percent-encoded, doubled slashes) count in the same zone."""
    spellings = ["/dashboard/sign-in", "/dashboard/%73ign-in", "/dashboard//sign-in"]
    before, response, body = hammer(edge, "POST", spellings, 40)
    assert len(before) == 11 and set(before) == {502}  # burst 10 plus the first, no aggregator
    assert_edge_429(response, body, "6")
    conn = http.client.HTTPConnection("127.0.0.1", edge, timeout=10)
    conn.request("GET", "/dashboard/sign-in")
    assert conn.getresponse().status == 502  # the form itself is not counted
    conn.close()
