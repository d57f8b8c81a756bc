"""Per-address request limits: one counter per address and service, a dashboard sign-in limit,
and Retry-After with our error shape on every 429."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage

import aggregator
import training_survey
import web_survey


class SharedMemoryStorage(MemoryStorage):
    """One in-process store behind every app that names it: what a shared Redis is to
    several services."""

    STORAGE_SCHEME = ["voc-test-shared"]
    _first: MemoryStorage | None = None

    def __init__(self, uri: str | None = None, **options: str) -> None:
        super().__init__(uri, **options)
        first = SharedMemoryStorage._first
        if first is None:
            SharedMemoryStorage._first = self
        else:
            self.storage, self.expirations, self.events = first.storage, first.expirations, {}
            self.events, self.locks = first.events, first.locks


@pytest.fixture
def shared(config):
    SharedMemoryStorage._first = None
    return {
        **config,
        "RATE_LIMIT_STORAGE_URI": "voc-test-shared://",
        "RATE_LIMIT_PUBLIC": "3/minute",
    }


def assert_retry_after(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def assert_json_429(response) -> None:
    assert_retry_after(response)
    body = response.get_json()
    assert body["code"] == "too_many_requests" and body["status"] == 429
    assert body["message"] and body["errors"] == {}


def test_training_traffic_does_not_use_up_the_web_surveys_limit(shared):
    web = web_survey.create_app(shared).test_client()
    training = training_survey.create_app(shared).test_client()
    assert [training.get("/t/nonsense").status_code for _ in range(4)] == [404, 404, 404, 429]
    assert [web.get("/s/nonsense").status_code for _ in range(4)] == [404, 404, 404, 429]


def test_a_services_routes_share_one_counter_per_address(shared):
    web = web_survey.create_app(shared).test_client()
    assert web.get("/s/nonsense").status_code == 404
    assert web.post("/api/v1/responses", json={}).status_code == 422
    assert web.get("/api/v1/responses/nonsense").status_code == 404
    assert_json_429(web.post("/api/v1/responses", json={}))
    other = {"REMOTE_ADDR": "192.0.2.7"}
    assert web.get("/s/nonsense", environ_base=other).status_code == 404


def test_the_counters_never_live_in_mongodb(config, db):
    web = web_survey.create_app({**config, "RATE_LIMIT_PUBLIC": "3/minute"}).test_client()
    for _ in range(4):
        web.get("/s/nonsense")
    assert not [name for name in db.list_collection_names() if name.startswith("rate_limit")]


def test_a_mongodb_storage_for_the_counters_is_refused(config):
    from survey_core.settings import ConfigError

    with pytest.raises(ConfigError, match="RATE_LIMIT_STORAGE_URI"):
        web_survey.create_app({**config, "RATE_LIMIT_STORAGE_URI": "mongodb://127.0.0.1"})


@pytest.mark.parametrize("uri", ["foo://x", "mongo://127.0.0.1", "redis+unknown://x"])
def test_an_unknown_counter_storage_is_refused_at_start_by_its_setting(config, uri):
    from survey_core.settings import ConfigError

    with pytest.raises(ConfigError, match="RATE_LIMIT_STORAGE_URI"):
        web_survey.create_app({**config, "RATE_LIMIT_STORAGE_URI": uri})


def test_dashboard_sign_in_is_limited_per_address(config):
    client = aggregator.create_app({**config, "RATE_LIMIT_SIGN_IN": "2/minute"}).test_client()
    codes = [
        client.post("/dashboard/sign-in", data={"key": "voc_guess"}).status_code for _ in range(2)
    ]
    assert codes == [400, 400]  # no CSRF token: refused, and counted all the same
    assert_json_429(client.post("/dashboard/sign-in", data={"key": "voc_guess"}))
    assert client.get("/dashboard/sign-in").status_code == 200  # the form itself is not limited
    other = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.post("/dashboard/sign-in", environ_base=other).status_code == 400


@pytest.mark.parametrize(
    ("factory", "method", "path", "json_body"),
    [
        (web_survey.create_app, "get", "/s/nonsense", False),
        (web_survey.create_app, "post", "/s/nonsense", False),
        (web_survey.create_app, "get", "/api/v1/responses/nonsense", True),
        (web_survey.create_app, "post", "/api/v1/responses", True),
        (training_survey.create_app, "get", "/t/nonsense", False),
        (training_survey.create_app, "post", "/t/nonsense", False),
        (training_survey.create_app, "post", "/api/v1/evaluations", True),
        (aggregator.create_app, "post", "/dashboard/sign-in", True),
    ],
)
def test_every_429_carries_retry_after(config, factory, method, path, json_body):
    limits = {"RATE_LIMIT_PUBLIC": "1/minute", "RATE_LIMIT_SIGN_IN": "1/minute"}
    client = factory({**config, **limits}).test_client()
    getattr(client, method)(path)
    response = getattr(client, method)(path)
    if json_body:
        assert_json_429(response)
    else:
        assert_retry_after(response)
        assert "Too many requests" in getattr(client, method)(path + "?lang=en-US").get_data(
            as_text=True
        )
