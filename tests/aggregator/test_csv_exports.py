"""Every report, with every `by` and every other choice, in JSON and CSV, on data a user could
have typed: no 500, well-formed output, a CSV with every figure of its JSON, and no cell a
spreadsheet would run as a formula (DESIGN.md: neutralised with a leading `'`). The reports are
found in the OpenAPI document, so a new one is covered without touching this file."""

from __future__ import annotations

import csv
import io
import re
from itertools import product
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aggregator
import training_survey
from aggregator.reports.csv_export import cell
from survey_core.fields import storable
from tests.pipeline import QTYPES, fold, submit

MONTH = "2026-10"
WHEN = "2026-10-12T10:00:00+08:00"
# What spreadsheets run (DESIGN.md): a leading =, +, -, @, tab or carriage return ...
EVIL = ['=HYPERLINK("http://x","y")', "+SUM(1,2)", "-2+3", "@cmd", "\tTAB", "\rCR"]
# ... and what some still read as one: behind spaces, line breaks, zero-width characters, or
# in full width.
SNEAKY = [" =1+1", "\n-1+1", "\u200b@SUM(1)", "\uff1d1+1"]
NAMES = EVIL + SNEAKY


def typed(name: str, multiline: bool = False) -> str:
    """The name as the API takes it: without the characters it refuses in a name (a tab or a
    line break leading it); the stored responses carry the names whole."""
    return "".join(c for c in name if storable(c, multiline))


RATINGS = {"communication": 4, "clarity": 5, "interaction": 3, "overall": 4, "recommend": 9}
# A cell a spreadsheet could run: after anything it may skip, a formula's first character.
LIVE = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]")
# Values filled in for required parameters that are not a choice.
REQUIRED = {"month": MONTH, "from": MONTH, "to": MONTH, "trainer_id": "TR0"}


@pytest.fixture
def reports(config):
    return aggregator.create_app(config).test_client()


@pytest.fixture
def training(config):
    return training_survey.create_app(config).test_client()


@pytest.fixture
def services(reports, training):
    """Every service that serves reports."""
    return [reports, training]


@pytest.fixture
def stocked(db, api_key, reports, training):
    """Customers of agents, teams and reasons named as formulas, with such comments; monitor
    scores, self-ratings, thanks and complaints (category too); trainers named so, with such
    comments. Answers with an admin key, which may read every report."""
    writer, admin = api_key("write"), api_key("admin")
    qtypes = {**QTYPES, "comment": "text"}
    for i, (agent, team) in enumerate(product(NAMES, NAMES[:2])):
        meta = {
            "channel": "chat",
            "interaction_id": f"C{i}",
            "survey": "post-contact",
            "version": 1,
            "agent_id": agent,
            "team": team,
            "reason": NAMES[i % len(NAMES)],
            "month": MONTH,
        }
        answers = {"csat": 1 + i % 5, "nps": i % 11, "ces": 1 + i % 5, "comment": agent}
        assert submit(db, meta, answers, qtypes) == "stored"
        contact = {
            "interaction_id": f"C{i}",
            "channel": "chat",
            "agent": typed(agent),
            "team": typed(team),
        }
        for monitor in NAMES[:3]:
            score = {
                **contact,
                "monitor_id": typed(monitor),
                "scored_at": WHEN,
                "form": {"id": "f1"},
                "items": [{"key": "greeting", "score": (i + len(monitor)) % 10, "max": 10}],
                "comment": typed(monitor, multiline=True),
            }
            answer = reports.post("/api/v1/monitor-scores", json=score, headers=writer)
            assert answer.status_code == 201, answer.get_json()
        rating = {**contact, "rating": 1 + i % 5, "rated_at": WHEN}
        assert reports.post("/api/v1/agent-ratings", json=rating, headers=writer).status_code == 201
        thanks = {
            "source": "mail",
            "source_id": f"m{i}",
            "agent": typed(agent),
            "received_at": WHEN,
        }
        assert reports.post("/api/v1/thanks", json=thanks, headers=writer).status_code == 201
        complaint = {
            "source": "crm",
            "external_id": f"K{i}",
            "category": typed(NAMES[i % len(NAMES)]),  # no rule names it: counted as general
            "occurred_at": WHEN,
            **contact,
        }
        answer = reports.post("/api/v1/complaints", json=complaint, headers=writer)
        assert answer.status_code == 201, answer.get_json()
    fold(db)  # calibration joins the folded records
    for n, name in enumerate(NAMES[:2]):
        trainer = {"id": f"TR{n}", "name": typed(name), "team": typed(NAMES[2])}
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
        for k, link in enumerate(made.get_json()["links"]):
            comment = typed(NAMES[k], multiline=True)
            answer = {"token": link["token"], "answers": {**RATINGS, "comment": comment}}
            assert training.post("/api/v1/evaluations", json=answer).status_code == 201
        session = made.get_json()["session_id"]
        closed = training.post(f"/api/v1/sessions/{session}/close", headers=writer)
        assert closed.status_code == 200
    return admin


def operations(clients) -> list[tuple[Any, str, list[dict], bool]]:
    """Every GET operation of the services' OpenAPI documents: the client that serves it, its
    path, its parameters, whether it offers CSV."""
    found = []
    for client in clients:
        document = client.get("/api/v1/openapi.json").get_json()
        for path, methods in document["paths"].items():
            if "get" in methods:
                get = methods["get"]
                offers = get.get("responses", {}).get("200", {}).get("content", {})
                found.append((client, path, get.get("parameters", []), "text/csv" in offers))
    assert sum(csv_ok for *_, csv_ok in found) >= 7, found
    return found


def choices(parameters: list[dict]) -> list[dict[str, str]]:
    """Every combination of the enumerated parameters (`by`, `interval`, `status`, ...) with the
    required ones filled in; `format` is the caller's."""
    fixed: dict[str, str] = {}
    options: dict[str, list[str]] = {}
    for p in parameters:
        if p["name"] == "format":
            continue
        enum = [v for v in p.get("schema", {}).get("enum", []) if v is not None]
        if enum:
            options[p["name"]] = enum
        elif p.get("required"):
            fixed[p["name"]] = REQUIRED[p["name"]]
    names = list(options)
    return [fixed | dict(zip(names, combo, strict=True)) for combo in product(*options.values())]


def free_text(parameters: list[dict]) -> list[str]:
    """The query parameters that take any text (a value a report may echo back)."""
    return [
        p["name"]
        for p in parameters
        if p["in"] == "query"
        and p.get("schema", {}).get("type") == "string"
        and "enum" not in p.get("schema", {})
        and "pattern" not in p.get("schema", {})
        and "format" not in p.get("schema", {})
        and p["name"] not in REQUIRED
    ]


def get(client, path: str, query: dict[str, str], headers: dict[str, str]):
    """GET a report, path parameters (`{trainer_id}`) filled in."""
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace(f"{{{name}}}", REQUIRED[name])
    return client.get(path, query_string=query, headers=headers)


def rows_of(answer, empty: bool = False) -> list[list[str]]:
    """The CSV's rows: a header and at least one row (`empty`: none, as its JSON has none)."""
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) >= (1 if empty else 2) and len(set(rows[0])) == len(rows[0]), rows[:1]
    assert all(len(row) == len(rows[0]) for row in rows)
    return rows


def live(value: str) -> bool:
    """A cell a spreadsheet would run: no leading `'`, and not one of our own numbers."""
    if value.startswith("'") or not LIVE.match(value):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def test_every_report_answers_every_choice_in_json_and_csv(services, stocked):
    asked = 0
    for client, path, parameters, offers_csv in operations(services):
        for query in choices(parameters):
            answer = get(client, path, query, stocked)
            assert answer.status_code == 200, (path, query, answer.get_json())
            assert answer.is_json and isinstance(answer.get_json(), dict)
            empty = answer.get_json().get("rows") == []  # e.g. rows of a status nobody has
            answer = get(client, path, {**query, "format": "csv"}, stocked)
            if not offers_csv:  # never a 500, never a CSV the OpenAPI document does not offer
                assert answer.status_code in (200, 422) and answer.is_json, (path, query)
                continue
            rows_of(answer, empty)
            rows_of(get(client, path, query, {**stocked, "Accept": "text/csv"}), empty)
            asked += 1
    assert asked >= 20


def test_no_csv_cell_is_a_live_formula_whatever_the_data_or_the_query(services, stocked):
    for client, path, parameters, offers_csv in operations(services):
        if not offers_csv:
            continue
        echoed = free_text(parameters)
        for query, name in product(choices(parameters), NAMES if echoed else [None]):
            # The query takes a name as the API does (no tab or line break in it).
            asked = {**query, "format": "csv", **{p: name and typed(name) for p in echoed}}
            for row in rows_of(get(client, path, asked, stocked), empty=True):
                for value in row:
                    assert not live(value), (path, asked, value)


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
    assert sorted(r["value"] for r in rows) == sorted("'" + e for e in NAMES)


def leaves(value: Any, query: dict[str, str] | None = None) -> set[str]:
    """Every figure and name of a JSON report as its CSV cell would show it; the echo of the
    `query` (`month`, `by`, `filters`, `min_n`, in the file's name) and `best` (a copy of a
    ranked row) left out."""
    if isinstance(value, dict):
        echo = query or {}
        skip = {k for k, v in value.items() if echo.get(k) == v}
        skip |= {"filters", "min_n", "best"} if query is not None else set()
        return set().union(*(leaves(v) for k, v in value.items() if k not in skip))
    if isinstance(value, list):
        return set().union(*(leaves(v) for v in value))
    return set() if value is None else {cell(value)}


def test_every_csv_has_every_figure_of_its_json(services, stocked):
    for client, path, parameters, offers_csv in operations(services):
        if not offers_csv:
            continue
        for query in choices(parameters):
            report = get(client, path, query, stocked).get_json()
            figures = leaves(report, query)
            empty = report.get("rows") == []
            rows = rows_of(get(client, path, {**query, "format": "csv"}, stocked), empty)
            cells = {value for row in rows[1:] for value in row}
            assert figures <= cells, (path, query, sorted(figures - cells)[:10])


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\r\n", "'\r\n"),
        ("  @x", "'  @x"),
        ("\n+1", "'\n+1"),
        ("\u3000-1", "'\u3000-1"),
        ("\u200b=1", "'\u200b=1"),
        ("\uff1dSUM(1)", "'\uff1dSUM(1)"),
        ("'=1", "'=1"),  # quoted already: shown as text, nothing to add
        ("a=b", "a=b"),
        ("A-17", "A-17"),
        (" ", " "),
        ("", ""),
        (-12.5, "-12.50"),
        (-3, "-3"),
        (True, "true"),
        (None, ""),
    ],
)
def test_a_cell_is_neutralised_when_a_spreadsheet_could_run_it(value, written):
    assert cell(value) == written


@given(st.text(st.sampled_from("=+-@\t\r\n \u3000\u200b\uff1d\uff0d'a1.")) | st.text())
def test_no_text_comes_out_as_a_formula_and_none_loses_a_character(text):
    written = cell(text)
    assert written in (text, "'" + text) and not live(written)


@given(st.floats(allow_nan=False) | st.integers())
def test_our_numbers_stay_numbers(number):
    assert float(cell(number)) == pytest.approx(number, abs=0.005, rel=1e-9)


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


def test_calibration_has_whole_month_figures_in_json_and_csv(reports, stocked):
    body = reports.get(
        "/api/v1/calibration", query_string={"month": MONTH, "by": "monitor"}, headers=stocked
    ).get_json()
    overall = body["overall"]
    # One observation per contact (the mean of its three monitors' totals); every self-rating.
    assert overall["monitor_vs_customer"]["n"] == 20
    assert overall["self_vs_customer"]["n"] == 20
    answer = reports.get(
        "/api/v1/calibration",
        query_string={"month": MONTH, "by": "monitor", "format": "csv"},
        headers=stocked,
    )
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["scope"] == "month" and rows[0]["value"] == MONTH
    assert rows[0]["monitor_n"] == "20" and rows[0]["self_n"] == "20"
    assert [r["scope"] for r in rows[1:]] == ["monitor"] * 3 + ["monitor_pair"] * 3
    assert all(r["self_n"] == "" for r in rows[1:])  # by monitor: no self-ratings
