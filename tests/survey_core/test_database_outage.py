"""A database outage turns readiness to 503 quickly; no worker dies; recovery needs no restart."""

import time

import pytest

import aggregator
import ivr_survey
from survey_core.storage import client as mongo
from survey_core.storage.breaker import breaker


@pytest.mark.slow
def test_readiness_fails_fast_while_database_is_down_and_recovers(own_server, tmp_path):
    config = {
        "VOC_ENV": "test",
        "MONGO_URI": own_server.uri,
        "MONGO_DB": "outage",
        "DB_TIMEOUT_MS": "1500",
        "SPOOL_DIR": str(tmp_path),
    }
    clients = [
        ivr_survey.create_app(config).test_client(),
        aggregator.create_app(config).test_client(),
    ]
    for client in clients:
        assert client.get("/readyz").status_code == 200

    own_server.stop()
    for client in clients:
        started = time.monotonic()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["code"] == "database_unavailable"
        assert time.monotonic() - started < 5
        assert client.get("/healthz").status_code == 200

    own_server.start()
    breaker.reset()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if all(c.get("/readyz").status_code == 200 for c in clients):
            break
        time.sleep(0.2)
    assert all(c.get("/readyz").status_code == 200 for c in clients)
    mongo.get_client(own_server.uri, 1500).close()


@pytest.mark.slow
def test_a_burst_of_reports_gets_its_503_within_one_timeout(own_server, db, config):
    """16 concurrent report requests on a dead database: the first failure opens the breaker,
    so none waits for more than about one database timeout (they used to wait up to 8 s)."""
    from concurrent.futures import ThreadPoolExecutor

    from survey_core.web.auth import create_key

    settings = config | {"MONGO_URI": own_server.uri, "MONGO_DB": "burst", "DB_TIMEOUT_MS": "1000"}
    key, _ = create_key(mongo.get_client(own_server.uri, 1000)["burst"], "k", "read")
    app = aggregator.create_app(settings)
    own_server.stop()
    breaker.reset()

    def report(_: int) -> tuple[int, float]:
        started = time.monotonic()
        response = app.test_client().get(
            "/api/v1/metrics/monthly?from=2026-01&to=2026-02",
            headers={"Authorization": f"Bearer {key}"},
        )
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=8) as pool:  # gunicorn's 2 workers x 4 threads
        results = list(pool.map(report, range(16)))
    assert {status for status, _ in results} == {503}
    assert max(elapsed for _, elapsed in results) < 2.5
    breaker.reset()
