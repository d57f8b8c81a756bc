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
