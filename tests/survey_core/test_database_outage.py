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
