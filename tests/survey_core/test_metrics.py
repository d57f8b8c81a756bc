"""/metrics on every service: requests by route and status, latency, the pipeline's backlog."""

from __future__ import annotations

import pytest

import aggregator
import ivr_survey
import training_survey
import web_survey


@pytest.mark.parametrize("factory", [aggregator, ivr_survey, web_survey, training_survey])
def test_every_service_serves_prometheus_metrics(config, factory):
    client = factory.create_app(config).test_client()
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'voc_http_requests_total{method="GET",route="/healthz",service=' in text
    assert "voc_http_request_duration_seconds_bucket" in text
    for gauge in ("voc_spool_depth", "voc_events_unfolded", "voc_fold_lag_seconds"):
        assert f"\n{gauge} " in text


def test_routes_are_labelled_by_rule_never_by_token(config, api_key):
    client = web_survey.create_app(config).test_client()
    client.get("/s/WyJhYmNkZWZnaGlqIiwxXQ.c2lnbmF0dXJlLXNpZ24")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'route="/s/<token>"' in text and "WyJhYmNk" not in text


def test_alerts_raised_are_counted(config, api_key):
    client = aggregator.create_app(config).test_client()
    for i in range(3):
        body = {
            "source": "m",
            "external_id": f"x{i}",
            "category": "login",
            "occurred_at": "2026-10-12T08:00:00+00:00",
        }
        client.post("/api/v1/complaints", json=body, headers=api_key("write"))
    text = client.get("/metrics").get_data(as_text=True)
    assert 'voc_alerts_raised_total{category="login",level="notice"}' in text


def _series(client) -> set[str]:
    text = client.get("/metrics").get_data(as_text=True)
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line.startswith("voc_http_")}


@pytest.mark.parametrize("factory", [aggregator, web_survey])
def test_a_hundred_odd_methods_and_paths_add_no_series(config, api_key, factory):
    client = factory.create_app(config).test_client()
    for method, path in (("X00000Q", "/healthz"), ("GET", "/nowhere"), ("BREW", "/nowhere")):
        client.open(path, method=method)
    before = _series(client)
    for i in range(100):
        client.open("/healthz", method=f"X{i:05d}Q")
        client.open(f"/no/such/{i}?x={i}", method="GET")
        client.open(f"/api/v1/x{i}", method=f"M{i}", headers=api_key("read"))
        client.get(f"/s/token{i}")  # a route's label is its rule, never the token
    after = _series(client)
    assert after - before <= {s for s in after if 'route="/s/<token>"' in s}
    assert not [s for s in after if "X0" in s or "/no/such" in s or "token1" in s]
    assert 'method="other",route="(unmatched)"' in "".join(after)


def test_alerts_of_a_category_outside_the_seeded_rules_count_as_other(config, api_key):
    client = aggregator.create_app(config).test_client()
    rules = client.get("/api/v1/alert-rules", headers=api_key("admin")).get_json()["rules"]
    rules.append(
        {
            "category": "odd-one",
            "thresholds": [{"window_minutes": 10, "more_than": 0, "level": "red"}],
        }
    )
    answer = client.put("/api/v1/alert-rules", json={"rules": rules}, headers=api_key("admin"))
    assert answer.status_code == 200, answer.get_json()
    body = {
        "source": "m",
        "external_id": "x1",
        "category": "odd-one",
        "occurred_at": "2026-10-12T08:00:00+00:00",
    }
    assert client.post("/api/v1/complaints", json=body, headers=api_key("write")).status_code == 201
    text = client.get("/metrics").get_data(as_text=True)
    assert 'voc_alerts_raised_total{category="other",level="red"}' in text
    assert "odd-one" not in text
