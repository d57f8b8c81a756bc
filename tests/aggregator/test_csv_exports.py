"""Every CSV report, with every `by`, on data a user could have typed: no 500, and no cell a
spreadsheet would run as a formula (DESIGN.md: neutralised with a leading `'`)."""

from __future__ import annotations

import csv
import io
from itertools import product

import pytest

import aggregator
import training_survey
from tests.pipeline import fold, submit
from training_survey.service import catalog as training_catalog

MONTH = "2026-10"
# What spreadsheets run: a leading =, +, -, @, tab or carriage return.
EVIL = ['=HYPERLINK("http://x","y")', "+SUM(1,2)", "-2+3", "@cmd", "\tTAB", "\rCR"]
RATINGS = {"communication": 4, "clarity": 5, "interaction": 3, "overall": 4, "recommend": 9}


@pytest.fixture
def reports(config):
    return aggregator.create_app(config).test_client()


@pytest.fixture
def stocked(db, config, api_key, reports):
    """Customers of agents, teams and reasons named as formulas; monitor scores, self-ratings
    and a trainer with such names too."""
    writer, admin = api_key("write"), api_key("admin")
    for i, (agent, team) in enumerate(product(EVIL, EVIL[:2])):
        meta = {
            "channel": "chat",
            "interaction_id": f"C{i}",
            "survey": "post-contact",
            "version": 1,
            "agent_id": agent,
            "team": team,
            "reason": EVIL[i % len(EVIL)],
            "month": MONTH,
        }
        assert submit(db, meta, {"csat": 1 + i % 5, "nps": i % 11, "ces": 1 + i % 5}) == "stored"
        # The API takes no tab or carriage return in a name: those agents' names reach the
        # CSVs from the stored responses only.
        named = agent.lstrip("\t\r")
        contact = {"interaction_id": f"C{i}", "channel": "chat", "agent": named, "team": team}
        for monitor in EVIL[:3]:
            score = {
                **contact,
                "monitor_id": monitor,
                "scored_at": "2026-10-12T10:00:00+08:00",
                "form": {"id": "f1"},
                "items": [{"key": "greeting", "score": (i + len(monitor)) % 10, "max": 10}],
            }
            answer = reports.post("/api/v1/monitor-scores", json=score, headers=writer)
            assert answer.status_code == 201, answer.get_json()
        rating = {**contact, "rating": 1 + i % 5, "rated_at": "2026-10-12T10:00:00+08:00"}
        assert reports.post("/api/v1/agent-ratings", json=rating, headers=writer).status_code == 201
    fold(db)  # calibration joins the folded records
    training_catalog.clear()
    training = training_survey.create_app(config).test_client()
    for n, name in enumerate(EVIL[:2]):
        trainer = {"id": f"TR{n}", "name": name, "team": EVIL[2]}
        assert training.post("/api/v1/trainers", json=trainer, headers=admin).status_code == 201
        body = {
            "trainer_id": f"TR{n}",
            "topic": "=topic",
            "held_at": "2026-10-15T09:00:00+08:00",
            "language": "en-US",
            "trainees": ["u1", "u2", "u3", "u4", "u5", "u6"],
        }
        made = training.post("/api/v1/sessions", json=body, headers=writer)
        assert made.status_code == 201, made.get_json()
        for link in made.get_json()["links"]:
            answer = {"token": link["token"], "answers": RATINGS}
            assert training.post("/api/v1/evaluations", json=answer).status_code == 201
    return api_key("read")


def csv_reports(client, reader) -> list[tuple[str, list[dict]]]:
    """Every report whose OpenAPI operation offers text/csv, with its query parameters."""
    document = client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, operations in document["paths"].items():
        get = operations.get("get") or {}
        if "text/csv" not in get.get("responses", {}).get("200", {}).get("content", {}):
            continue
        found.append((path, get.get("parameters", [])))
    assert len(found) >= 5, found
    return found


def queries(parameters: list[dict]) -> list[dict[str, str]]:
    """Every combination of the enumerated parameters (`by`, `interval`, ...), required ones
    filled with this month, and `format=csv`."""
    fixed: dict[str, str] = {"format": "csv"}
    choices: dict[str, list[str]] = {}
    for p in parameters:
        if p.get("in") != "query" or p["name"] == "format":
            continue
        schema = p.get("schema", {})
        if "enum" in schema:
            choices[p["name"]] = schema["enum"]
        elif p["name"] in ("month", "from", "to"):
            fixed[p["name"]] = MONTH
    names = list(choices)
    return [fixed | dict(zip(names, combo, strict=True)) for combo in product(*choices.values())]


def test_every_csv_report_with_every_choice_answers_without_a_live_formula(reports, stocked):
    asked = 0
    for path, parameters in csv_reports(reports, stocked):
        for query in queries(parameters):
            answer = reports.get(path, query_string=query, headers=stocked)
            assert answer.status_code == 200, (path, query, answer.get_json())
            assert answer.mimetype == "text/csv"
            rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
            assert len(rows) >= 2, (path, query)
            for row in rows:
                for value in row:
                    assert not value.startswith(tuple("=+@\t\r")), (path, query, value)
                    if value.startswith("-"):  # only our own negative numbers
                        float(value)
            asked += 1
    assert asked >= 12


def test_a_query_value_echoed_into_a_csv_is_neutralised(reports, stocked):
    answer = reports.get(
        "/api/v1/funnel",
        query_string={"month": MONTH, "channel": "=1+1", "format": "csv"},
        headers=stocked,
    )
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["channel"] == "'=1+1"


def test_neutralised_names_keep_their_text_after_the_quote(reports, stocked):
    answer = reports.get(
        "/api/v1/metrics/breakdown",
        query_string={"month": MONTH, "by": "agent", "format": "csv"},
        headers=stocked,
    )
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["value"] for r in rows) == sorted("'" + e for e in EVIL)


def test_the_ranking_csv_has_every_figure_of_its_json(reports, stocked):
    json_rows = reports.get(
        "/api/v1/trainers/ranking", query_string={"month": MONTH}, headers=stocked
    ).get_json()["trainers"]
    answer = reports.get(
        "/api/v1/trainers/ranking", query_string={"month": MONTH, "format": "csv"}, headers=stocked
    )
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    for criterion in ("overall", "communication", "clarity", "interaction"):
        assert rows[0][f"{criterion}_n"] == str(json_rows[0][criterion]["n"])
    low, high = json_rows[0]["recommend"]["ci"]
    assert (
        rows[0]["recommend_ci_low"] == f"{low:.2f}"
        and rows[0]["recommend_ci_high"] == f"{high:.2f}"
    )
    assert rows[0]["trainer_name"].startswith("'")


def test_calibration_has_whole_month_figures_in_json_and_csv(reports, stocked, db):
    body = reports.get(
        "/api/v1/calibration", query_string={"month": MONTH, "by": "monitor"}, headers=stocked
    ).get_json()
    overall = body["overall"]
    # One observation per contact (the mean of its three monitors' totals); every self-rating.
    assert overall["monitor_vs_customer"]["n"] == 12
    assert overall["self_vs_customer"]["n"] == 12
    answer = reports.get(
        "/api/v1/calibration",
        query_string={"month": MONTH, "by": "monitor", "format": "csv"},
        headers=stocked,
    )
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["scope"] == "month" and rows[0]["value"] == MONTH
    assert rows[0]["monitor_n"] == "12" and rows[0]["self_n"] == "12"
    assert [r["scope"] for r in rows[1:]] == ["monitor"] * 3
    assert all(r["self_n"] == "" for r in rows[1:])  # by monitor: no self-ratings
