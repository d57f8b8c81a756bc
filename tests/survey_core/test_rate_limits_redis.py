"""RATE_LIMIT_STORAGE_URI=redis://... against a real redis-server: two app instances (two
hosts) share one counter per address and service, every 429 says when to come back, and the
limits lapse rather than shut people out while Redis is down.

Without Debian's `redis-server` (or the `redis` package) these tests skip; CI installs it and
sets VOC_REQUIRE_REDIS=1 (.ci/run), and they fail there instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

import training_survey
import web_survey
from ops.devstack import end_processes, wait_for_port
from tests.dbserver import free_port

REDIS_SERVER = shutil.which("redis-server")
MISSING = [
    what
    for what, ok in [
        ("redis-server (`apt-get install redis-server`)", REDIS_SERVER is not None),
        ("the redis package", importlib.util.find_spec("redis") is not None),
    ]
    if not ok
]
REQUIRED = os.environ.get("VOC_REQUIRE_REDIS") == "1"


@pytest.fixture
def redis_uri(tmp_path) -> Iterator[str]:
    """A fresh redis-server on a free loopback port, nothing saved to disk."""
    if MISSING:
        reason = "missing " + ", ".join(MISSING)
        if REQUIRED:
            pytest.fail(reason + " (VOC_REQUIRE_REDIS=1)")
        pytest.skip(reason)
    port = free_port()
    proc = subprocess.Popen(
        [
            str(REDIS_SERVER),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port, 15):
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}"
    finally:
        end_processes([proc])


@pytest.fixture
def on_redis(config, redis_uri) -> dict[str, object]:
    return {**config, "RATE_LIMIT_STORAGE_URI": redis_uri, "RATE_LIMIT_PUBLIC": "3/minute"}


def assert_json_429(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    body = response.get_json()
    assert body["code"] == "too_many_requests" and body["status"] == 429
    assert body["errors"] == {}


def test_two_hosts_share_one_redis_counter_per_address(on_redis):
    host_a = web_survey.create_app(on_redis).test_client()
    host_b = web_survey.create_app(on_redis).test_client()
    assert host_a.get("/api/v1/responses/nonsense").status_code == 404
    assert host_b.get("/api/v1/responses/nonsense").status_code == 404
    assert host_a.get("/api/v1/responses/nonsense").status_code == 404
    assert_json_429(host_b.get("/api/v1/responses/nonsense"))
    assert_json_429(host_a.post("/api/v1/responses", json={}))
    page = host_b.get("/s/nonsense")
    assert page.status_code == 429 and 1 <= int(page.headers["Retry-After"]) <= 61
    other = {"REMOTE_ADDR": "192.0.2.7"}
    assert host_b.get("/s/nonsense", environ_base=other).status_code == 404


def test_services_sharing_one_redis_keep_their_own_counters(on_redis):
    web = web_survey.create_app(on_redis).test_client()
    training = training_survey.create_app(on_redis).test_client()
    assert [web.get("/s/nonsense").status_code for _ in range(4)] == [404, 404, 404, 429]
    assert [training.get("/t/nonsense").status_code for _ in range(4)] == [404, 404, 404, 429]


def test_the_counters_live_in_redis_not_in_mongodb(on_redis, redis_uri, db):
    import redis

    web = web_survey.create_app(on_redis).test_client()
    for _ in range(4):
        web.get("/s/nonsense")
    keys = redis.Redis.from_url(redis_uri).keys("*")
    assert keys and all(b"web" in key for key in keys)
    assert not [name for name in db.list_collection_names() if "limit" in name]


def test_the_limits_lapse_while_redis_is_down(config):
    """A Redis that went away (nothing listens on its port) lets requests through, and never
    turns them into a 500."""
    if MISSING and not REQUIRED:
        pytest.skip("missing " + ", ".join(MISSING))
    down = {
        **config,
        "RATE_LIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}",
        "RATE_LIMIT_PUBLIC": "1/minute",
    }
    web = web_survey.create_app(down).test_client()
    assert [web.get("/s/nonsense").status_code for _ in range(3)] == [404, 404, 404]
    assert web.get("/api/v1/responses/nonsense").status_code == 404
