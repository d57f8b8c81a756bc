"""GET /api/v1/responses: customer rows for reporting tools, paged by cursor, JSON and CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.pipeline import fold, submit

QTYPES = {"csat": "csat", "nps": "nps", "ces": "ces", "comment": "text"}


def _rows(client, key, query):
    response = client.get(f"/api/v1/responses?{query}", headers=key)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_paging_by_cursor_returns_every_customer_row_once(client, add, db, read_key):
    for i in range(7):
        add(csat=1 + i % 5, agent=f"A{i % 2}")
    add(month="2026-09", csat=5)
    submit(
        db,
        {"channel": "training", "interaction_id": "E1", "survey": "training", "version": 1},
        {"csat": 5},
    )
    fold(db)
    seen, cursor = [], None
    while True:
        query = "from=2026-10&to=2026-10&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = _rows(client, read_key, query)
        assert len(page["rows"]) <= 3
        seen += [r["interaction_id"] for r in page["rows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(f"T{i}" for i in range(1, 8))
    everything = _rows(client, read_key, "from=2026-09&to=2026-10&limit=1000")["rows"]
    assert len(everything) == 8 and "training" not in {r["channel"] for r in everything}


def test_rows_are_filtered_like_the_reports_and_carry_no_free_text(client, db, read_key):
    for i, (agent, comment) in enumerate([("A1", "rude <b>agent</b>"), ("A2", "fine")]):
        meta = {"channel": "web", "interaction_id": f"W{i}", "survey": "post-contact"}
        meta.update(version=1, agent_id=agent, team="north", reason="billing", month="2026-10")
        submit(db, meta, {"csat": 2, "nps": 3, "ces": 4, "comment": comment}, qtypes=QTYPES)
    fold(db)
    rows = _rows(client, read_key, "from=2026-10&to=2026-10&agent=A1&status=complete")["rows"]
    assert [(r["interaction_id"], r["agent"], r["csat"], r["nps"], r["ces"]) for r in rows] == [
        ("W0", "A1", 2, 3, 4)
    ]
    assert rows[0]["team"] == "north" and rows[0]["status"] == "complete"
    assert "rude" not in str(rows) and "comment" not in str(rows)
    assert _rows(client, read_key, "from=2026-10&to=2026-10&status=partial")["rows"] == []
    assert _rows(client, read_key, "from=2026-10&to=2026-10&channel=training")["rows"] == []


def test_the_csv_streams_every_row_with_formulas_neutralised(client, add, db, read_key):
    add(csat=5, agent='=HYPERLINK("http://x")')
    add(csat=1, agent="代理人")
    fold(db)
    response = client.get(
        "/api/v1/responses?from=2026-10&to=2026-10&limit=1",
        headers={**read_key, "Accept": "text/csv"},
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeffchannel,interaction_id,survey,")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["interaction_id"], r["agent"], r["csat"]) for r in rows] == [
        ("T1", '\'=HYPERLINK("http://x")', "5"),
        ("T2", "代理人", "1"),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-10&to=2026-10&cursor=!!!",
        "from=2026-10&to=2026-10&cursor=a",
        "from=2026-10&to=2026-10&cursor=",
        "from=2026-10&to=2026-10&cursor=_w",  # not UTF-8
        "from=2026-10&to=2026-10&limit=0",
        "from=2026-10&to=2026-10&limit=1001",
        "from=2026-10&to=2026-10&status=done",
        "from=2026-10&to=2026-10&agent=%00",
        "from=2026-10&to=2026-10&agent=a%0Ab",
        "from=2026-11&to=2026-10",
        "to=2026-10",
    ],
)
def test_a_bad_query_is_a_422(client, read_key, query):
    response = client.get(f"/api/v1/responses?{query}", headers=read_key)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["code"] == "validation_error"


def test_rows_need_a_read_key_and_are_in_the_openapi_document(client):
    assert client.get("/api/v1/responses?from=2026-10&to=2026-10").status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/responses"]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert {"cursor", "limit", "agent", "status"} <= {p["name"] for p in operation["parameters"]}
