"""The reporting API: exact figures with n and intervals, filters, breakdowns, funnel, CSV."""

import csv
import io

import pytest

from tests.aggregator.conftest import add_many
from tests.pipeline import answered, closed, fold, opened

CSAT_HIST = {"5": 40, "4": 30, "3": 10, "2": 5, "1": 15}


def get(client, key, path, **params):
    return client.get(path, query_string=params, headers=key)


def test_monthly_csat_matches_independent_figures(client, read_key, add):
    add_many(add, CSAT_HIST, "csat")
    body = get(
        client, read_key, "/api/v1/metrics/monthly", **{"from": "2026-10", "to": "2026-10"}
    ).get_json()
    row = body["rows"][0]
    assert row["month"] == "2026-10" and row["responses"] == 100
    assert row["csat"]["value"] == 70.0 and row["csat"]["n"] == 100
    assert row["csat"]["ci"] == pytest.approx([60.415145366653334, 78.10511470506725], abs=1e-6)
    assert row["csat"]["mean_ci"] == pytest.approx([3.468858390393904, 4.031141609606096], abs=1e-6)
    assert row["nps"]["n"] == 0 and row["nps"]["value"] is None and row["nps"]["ci"] is None


def test_monthly_nps_and_ces_with_wald_on_request(client, read_key, add):
    add_many(add, {"10": 20, "9": 20, "8": 15, "7": 10, "6": 5, "3": 10, "0": 20}, "nps")
    add_many(add, {"1": 10, "2": 20, "3": 5, "5": 1}, "ces")
    params = {"from": "2026-10", "to": "2026-10"}
    row = get(client, read_key, "/api/v1/metrics/monthly", **params).get_json()["rows"][0]
    assert row["nps"]["value"] == pytest.approx(5.0, abs=1e-9)
    assert row["nps"]["ci"] == pytest.approx([-11.762589213670802, 21.471327077748466], abs=1e-6)
    assert row["nps"]["se"] == pytest.approx(8.645808232895295, abs=1e-6)
    assert (row["nps"]["promoters"], row["nps"]["passives"], row["nps"]["detractors"]) == (
        40,
        25,
        35,
    )
    assert row["ces"]["value"] == pytest.approx(1.9444444444444444, abs=1e-9)
    assert row["ces"]["ci"] == pytest.approx([1.6649122525544309, 2.223976636334458], abs=1e-6)
    wald = get(client, read_key, "/api/v1/metrics/monthly", interval="wald", **params)
    assert wald.get_json()["rows"][0]["nps"]["ci"][0] == pytest.approx(
        -11.945472753714654, abs=1e-6
    )


def test_every_month_in_the_range_is_present(client, read_key, add):
    add(month="2026-09", csat=5)
    add(month="2026-11", csat=1)
    rows = get(
        client, read_key, "/api/v1/metrics/monthly", **{"from": "2026-08", "to": "2026-12"}
    ).get_json()["rows"]
    assert [r["month"] for r in rows] == ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    assert [r["csat"]["n"] for r in rows] == [0, 1, 0, 1, 0]


def test_single_and_combined_filters(client, read_key, add):
    add(agent="A1", channel="web", csat=5)
    add(agent="A1", channel="chat", csat=1)
    add(agent="A2", channel="web", csat=4)
    params = {"from": "2026-10", "to": "2026-10"}
    one = get(client, read_key, "/api/v1/metrics/monthly", agent="A1", **params).get_json()
    assert one["rows"][0]["csat"]["n"] == 2 and one["filters"] == {"agent": "A1"}
    both = get(client, read_key, "/api/v1/metrics/monthly", agent="A1", channel="web", **params)
    assert both.get_json()["rows"][0]["csat"]["value"] == 100.0
    assert both.get_json()["rows"][0]["csat"]["n"] == 1
    none = get(client, read_key, "/api/v1/metrics/monthly", agent="nobody", **params).get_json()
    assert none["rows"][0]["csat"]["n"] == 0


def test_breakdown_sorted_by_csat_with_n_and_min_n(client, read_key, add):
    for score in (5, 5, 4):
        add(agent="A1", csat=score)
    for score in (1, 2):
        add(agent="A2", csat=score)
    add(agent="A3", csat=5)
    body = get(
        client, read_key, "/api/v1/metrics/breakdown", month="2026-10", by="agent"
    ).get_json()
    assert [(r["value"], r["csat"]["n"]) for r in body["rows"]] == [("A1", 3), ("A3", 1), ("A2", 2)]
    filtered = get(
        client, read_key, "/api/v1/metrics/breakdown", month="2026-10", by="agent", min_n=2
    ).get_json()
    assert [r["value"] for r in filtered["rows"]] == ["A1", "A2"]


def test_funnel_counts_and_rates(client, read_key, db, add):
    add(channel="ivr", csat=5)
    base = {"channel": "ivr", "survey": "post-call", "version": 1, "month": "2026-10"}
    opened(db, {**base, "interaction_id": "S1"}, "suppressed")
    opened(db, {**base, "interaction_id": "P1"})
    answered(db, {**base, "interaction_id": "P1"}, "csat", 3, reached=1)
    closed(db, {**base, "interaction_id": "P1"})  # hung up before the second question
    opened(db, {**base, "interaction_id": "O1"})  # still on the phone: started, not ended
    body = get(client, read_key, "/api/v1/funnel", month="2026-10", channel="ivr").get_json()
    assert body["offered"] == 4 and body["suppressed"] == 1 and body["started"] == 3
    assert body["completed"] == 1 and body["partial"] == 1 and body["partial_at"] == {"nps": 1}
    assert body["response_rate"] == pytest.approx(2 / 4)
    assert body["completion_rate"] == pytest.approx(1 / 3)
    fold(db)  # the worker folds; the report does not change
    again = get(client, read_key, "/api/v1/funnel", month="2026-10", channel="ivr").get_json()
    assert again == body


def test_csv_has_a_bom_two_decimals_and_chinese_names(client, read_key, add):
    add(agent="张伟", csat=5)
    add(agent="张伟", csat=2)
    response = get(
        client, read_key, "/api/v1/metrics/breakdown", month="2026-10", by="agent", format="csv"
    )
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["value"] == "张伟" and rows[0]["csat"] == "50.00" and rows[0]["csat_n"] == "2"
    assert rows[0]["nps"] == ""


def test_accept_header_asks_for_csv(client, read_key, add):
    add(csat=4)
    response = client.get(
        "/api/v1/metrics/monthly?from=2026-10&to=2026-10",
        headers={**read_key, "Accept": "text/csv"},
    )
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("month,responses,csat")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/metrics/monthly?from=2026-10&to=2026-10",
        "/api/v1/metrics/breakdown?month=2026-10&by=agent",
        "/api/v1/funnel?month=2026-10",
    ],
)
def test_reports_need_a_key(client, path, api_key):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get(path, headers=api_key("read")).status_code == 200


@pytest.mark.parametrize(
    "params,field",
    [
        ({"from": "2026-13", "to": "2026-12"}, "from"),
        ({"from": "2026-1", "to": "2026-12"}, "from"),
        ({"from": "2026-10", "to": "2026-09"}, "from"),
        ({"from": "2020-01", "to": "2026-01"}, "to"),
        ({"to": "2026-01"}, "from"),
        ({"from": "2026-10", "to": "2026-10", "interval": "exact"}, "interval"),
        ({"from": "2026-10", "to": "2026-10", "format": "xml"}, "format"),
    ],
)
def test_bad_monthly_parameters_are_422_with_field_errors(client, read_key, params, field):
    response = get(client, read_key, "/api/v1/metrics/monthly", **params)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error" and field in body["errors"]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"month": "2026-10", "by": "colour"}, "by"),
        ({"by": "agent"}, "month"),
        ({"month": "2026-10", "by": "agent", "min_n": "-1"}, "min_n"),
    ],
)
def test_bad_breakdown_parameters_are_422(client, read_key, params, field):
    response = get(client, read_key, "/api/v1/metrics/breakdown", **params)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_openapi_document_describes_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/metrics/monthly", "/api/v1/metrics/breakdown", "/api/v1/funnel"} <= set(
        spec["paths"]
    )
    params = {p["name"] for p in spec["paths"]["/api/v1/metrics/monthly"]["get"]["parameters"]}
    assert {"from", "to", "agent", "format"} <= params
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 200


def test_wrong_method_keeps_allow_header(client):
    response = client.post("/api/v1/funnel")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.get_json()["code"] == "method_not_allowed"


def test_funnel_as_csv(client, read_key, db, add):
    add(channel="ivr", csat=5)
    base = {"channel": "ivr", "survey": "post-call", "version": 1, "month": "2026-10"}
    opened(db, {**base, "interaction_id": "P1"})
    answered(db, {**base, "interaction_id": "P1"}, "csat", 3, reached=1)
    closed(db, {**base, "interaction_id": "P1"})
    response = get(client, read_key, "/api/v1/funnel", month="2026-10", format="csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0]["offered"] == "2" and rows[0]["completed"] == "1"
    assert rows[0]["partial_at_nps"] == "1" and rows[0]["response_rate"] == "1.00"
