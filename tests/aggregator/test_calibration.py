"""Calibration: figures checked against values computed independently of the code under test."""

from __future__ import annotations

import csv
import io
import math
from itertools import permutations

import pytest

from survey_core import calibration
from tests.pipeline import fold, submit

MONTH = "2026-10"
WHEN = "2026-10-15T10:00:00+08:00"


def ranks(values):
    ordered = sorted(values)
    return [sum(i + 1 for i, v in enumerate(ordered) if v == x) / ordered.count(x) for x in values]


def pearson(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def alpha_by_hand(units):
    """Krippendorff's alpha, interval metric, from its definition (units: lists of values)."""
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    observed = (
        sum(sum((a - b) ** 2 for a, b in permutations(u, 2)) / (len(u) - 1) for u in units) / n
    )
    expected = sum((a - b) ** 2 for a, b in permutations(values, 2)) / (n * (n - 1))
    return 1 - observed / expected


def test_spearman_and_its_bonett_wright_interval():
    xs, ys = [70, 85, 60, 90, 75, 40], [50, 100, 25, 75, 75, 0]
    r = pearson(ranks(xs), ranks(ys))
    se = math.sqrt((1 + r * r / 2) / (len(xs) - 3))
    z = 1.959963984540054
    found = calibration.spearman(xs, ys)
    assert found["r"] == pytest.approx(r, abs=1e-12)
    assert found["ci"] == pytest.approx(
        [math.tanh(math.atanh(r) - z * se), math.tanh(math.atanh(r) + z * se)], abs=1e-12
    )
    assert calibration.spearman(xs[:3], ys[:3])["ci"] is None


def test_kappa_agreement_and_the_flag():
    pairs = [(5, 5)] * 12 + [(4, 2)] * 6 + [(5, 4)] * 2
    found = calibration.self_vs_customer(pairs)
    p_own, p_theirs, agree = 1.0, 14 / 20, 14 / 20
    chance = p_own * p_theirs
    assert found["agreement_pct"] == pytest.approx(70.0)
    assert (
        found["kappa"] is None
        if chance == 1
        else found["kappa"] == pytest.approx((agree - chance) / (1 - chance))
    )
    assert found["flagged"] is True
    assert calibration.self_vs_customer(pairs[:19])["flagged"] is False  # n < 20
    mixed = [(5, 5), (2, 1), (4, 2), (1, 4)]
    po, pa, pb = 2 / 4, 2 / 4, 2 / 4
    pe = pa * pb + (1 - pa) * (1 - pb)
    assert calibration.self_vs_customer(mixed)["kappa"] == pytest.approx((po - pe) / (1 - pe))


def test_krippendorffs_alpha_matches_its_definition():
    scores = {
        "c1": {"M1": 80.0, "M2": 75.0},
        "c2": {"M1": 60.0, "M2": 65.0, "M3": 55.0},
        "c3": {"M1": 90.0, "M3": 95.0},
        "c4": {"M2": 40.0, "M3": 50.0},
        "c5": {"M1": 70.0},  # one monitor: not pairable
    }
    units = [list(s.values()) for s in scores.values()]
    found = calibration.alpha(scores)
    assert found["n"] == 4 and found["alpha"] == pytest.approx(alpha_by_hand(units), abs=1e-12)
    pairs = {tuple(p["monitors"]): p for p in calibration.pairwise_alpha(scores)}
    assert pairs[("M1", "M2")]["n"] == 2
    assert pairs[("M1", "M2")]["alpha"] == pytest.approx(
        alpha_by_hand([[80, 75], [60, 65]]), abs=1e-12
    )


def item(score, max_=10, weight=1.0):
    return {"key": f"k{score}{max_}{weight}", "score": score, "max": max_, "weight": weight}


def test_the_calibration_report_joins_monitors_self_ratings_and_customers(client, api_key, db):
    writer = api_key("write")
    contacts = {"T1": (5, 4, 5), "T2": (2, 5, 1), "T3": (4, 4, 3), "T4": (1, 2, 2), "T5": (3, 5, 4)}
    for interaction, (csat, own, _) in contacts.items():
        submit(
            db,
            {
                "channel": "chat",
                "interaction_id": interaction,
                "agent_id": "A1",
                "team": "north",
                "survey": "post-contact",
                "version": 1,
                "month": MONTH,
            },
            {"csat": csat},
        )
        body = {
            "interaction_id": interaction,
            "channel": "chat",
            "agent": "A1",
            "team": "north",
            "rating": own,
            "rated_at": WHEN,
        }
        assert client.post("/api/v1/agent-ratings", json=body, headers=writer).status_code == 201
    fold(db)
    totals = {}
    for interaction, (_, _, monitor_score) in contacts.items():
        for monitor, shift in (("M1", 0), ("M2", 1)):
            body = {
                "interaction_id": interaction,
                "channel": "chat",
                "agent": "A1",
                "team": "north",
                "monitor_id": monitor,
                "scored_at": WHEN,
                "form": {"id": "f", "version": 1},
                "items": [item(min(10, monitor_score * 2 + shift)), item(8, weight=3)],
            }
            response = client.post("/api/v1/monitor-scores", json=body, headers=writer)
            assert response.status_code == 201, response.get_json()
            totals.setdefault(interaction, {})[monitor] = response.get_json()["total"]
            assert (
                client.post("/api/v1/monitor-scores", json=body, headers=writer).status_code == 200
            )
    assert totals["T1"]["M1"] == pytest.approx(100 * (1 * 10 / 10 + 3 * 8 / 10) / 4)
    report = client.get(
        f"/api/v1/calibration?month={MONTH}&by=agent", headers=api_key("read")
    ).get_json()
    (row,) = report["rows"]
    mean_monitor = {c: sum(t.values()) / 2 for c, t in totals.items()}
    customer = {c: (v[0] - 1) * 25 for c, v in contacts.items()}
    order = sorted(contacts)
    expected = calibration.spearman([mean_monitor[c] for c in order], [customer[c] for c in order])
    mvc = row["monitor_vs_customer"]
    assert mvc["n"] == 5 and mvc["spearman"]["r"] == pytest.approx(
        pearson(ranks([mean_monitor[c] for c in order]), ranks([customer[c] for c in order]))
    )
    assert mvc["spearman"]["ci"] == pytest.approx(expected["ci"], abs=1e-12)
    assert mvc["customer_csat_mean"] == pytest.approx(sum(v[0] for v in contacts.values()) / 5)
    assert mvc["mean_difference"] == pytest.approx(
        sum(mean_monitor.values()) / 5 - sum(customer.values()) / 5
    )
    svc = row["self_vs_customer"]
    assert svc["n"] == 5 and svc["agreement_pct"] == pytest.approx(60.0)
    units = [list(t.values()) for t in totals.values()]
    assert report["monitors"]["alpha"] == pytest.approx(alpha_by_hand(units), abs=1e-9)
    assert report["monitors"]["n"] == 5
    by_monitor = client.get(
        f"/api/v1/calibration?month={MONTH}&by=monitor", headers=api_key("read")
    ).get_json()
    assert [r["value"] for r in by_monitor["rows"]] == ["M1", "M2"]


def test_thanks_are_idempotent_and_bad_scores_are_refused(client, api_key, db):
    writer = api_key("write")
    body = {"source": "mail", "source_id": "m-1", "agent": "A1", "received_at": WHEN}
    assert client.post("/api/v1/thanks", json=body, headers=writer).status_code == 201
    assert client.post("/api/v1/thanks", json=body, headers=writer).status_code == 200
    assert db.thanks.count_documents({}) == 1
    bad = {"interaction_id": "T1", "channel": "chat", "agent": "A1", "rating": 6, "rated_at": WHEN}
    assert client.post("/api/v1/agent-ratings", json=bad, headers=writer).status_code == 422
    over = {
        "interaction_id": "T1",
        "channel": "chat",
        "agent": "A1",
        "monitor_id": "M1",
        "scored_at": WHEN,
        "form": {"id": "f"},
        "items": [item(11)],
    }
    assert client.post("/api/v1/monitor-scores", json=over, headers=writer).status_code == 422


def test_the_agent_report_and_the_honour_roll(client, api_key, db):
    writer, reader = api_key("write"), api_key("read")
    csat_by_agent = {
        "A1": [5, 5, 3, 5, 5],
        "A2": [5, 5, 5, 5, 5],
        "A3": [5, 4],
        "A4": [2, 3, 2, 1, 2],
    }
    serial = 0
    for agent, answers in csat_by_agent.items():
        for csat in answers:
            serial += 1
            meta = {
                "channel": "chat",
                "interaction_id": f"I{serial}",
                "agent_id": agent,
                "team": "north",
                "survey": "post-contact",
                "version": 1,
                "month": MONTH,
            }
            submit(db, meta, {"csat": csat})
    fold(db)
    letters = {"A1": 3, "A2": 3, "A3": 9, "A4": 1}
    for agent, count in letters.items():
        for i in range(count):
            body = {
                "source": "mail",
                "source_id": f"{agent}-{i}",
                "agent": agent,
                "received_at": WHEN,
            }
            client.post("/api/v1/thanks", json=body, headers=writer)
    complaint = {
        "source": "crm",
        "external_id": "C1",
        "category": "general",
        "agent": "A4",
        "occurred_at": WHEN,
    }
    client.post("/api/v1/complaints", json=complaint, headers=writer)
    report = client.get(f"/api/v1/agents/report?month={MONTH}", headers=reader).get_json()
    rows = {r["agent"]: r for r in report["agents"]}
    assert rows["A3"]["thanks"] == 9 and rows["A3"]["eligible"] is False  # 2 CSAT answers < 5
    assert rows["A4"]["complaints"] == 1 and rows["A4"]["complaint_rate"] == pytest.approx(0.2)
    # A1 and A2 tie on thanks: the higher CSAT (A2, 100% against 80%) first; A3 is under min_n.
    assert rows["A2"]["csat"]["value"] == 100.0 and rows["A1"]["csat"]["value"] == 80.0
    assert [r["agent"] for r in report["honour_roll"]] == ["A2", "A1", "A4"]


def test_the_calibration_report_as_csv(client, api_key, db):
    response = client.get(
        f"/api/v1/calibration?month={MONTH}&by=agent&format=csv", headers=api_key("read")
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header = response.get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert header.startswith(
        "scope,value,monitor_n,monitor_mean,customer_mean,customer_csat_mean,spearman_r"
    )


# interaction: (agent, customer CSAT, self-rating, {monitor: total})
MONTH_OF_CONTACTS = {
    "W1": ("A1", 5, 5, {"M1": 90, "M2": 80}),
    "W2": ("A1", 2, 4, {"M1": 40}),
    "W3": ("A2", 4, 4, {"M1": 70, "M2": 60}),
    "W4": ("A2", 1, 2, {"M2": 30}),
    "W5": ("A2", 4, 5, {"M1": 50, "M2": 70}),
}


@pytest.fixture
def month_of_contacts(client, api_key, db):
    writer = api_key("write")
    for interaction, (agent, csat, own, monitors) in MONTH_OF_CONTACTS.items():
        contact = {"interaction_id": interaction, "channel": "chat", "agent": agent, "team": "t"}
        meta = {**contact, "agent_id": agent, "survey": "post-contact", "version": 1}
        submit(db, {**meta, "month": MONTH}, {"csat": csat})
        rating = {**contact, "rating": own, "rated_at": WHEN}
        assert client.post("/api/v1/agent-ratings", json=rating, headers=writer).status_code == 201
        for monitor, total in monitors.items():
            score = {
                **contact,
                "monitor_id": monitor,
                "scored_at": WHEN,
                "form": {"id": "f"},
                "items": [item(total // 10)],
            }
            answer = client.post("/api/v1/monitor-scores", json=score, headers=writer)
            assert answer.get_json()["total"] == total
    fold(db)
    return api_key("read")


@pytest.mark.parametrize("by", ["agent", "team", "monitor"])
def test_the_whole_month_calibration_figures_are_exact_whatever_the_grouping(
    client, month_of_contacts, by
):
    report = client.get(
        f"/api/v1/calibration?month={MONTH}&by={by}", headers=month_of_contacts
    ).get_json()
    mvc = report["overall"]["monitor_vs_customer"]
    # Per contact the mean of its monitors: 85, 40, 65, 30, 60; customers on 0-100: 100, 25,
    # 75, 0, 75. Ranks 5 2 4 1 3 against 5 2 3.5 1 3.5: r = 9.5 / sqrt(10 x 9.5) = sqrt(0.95).
    r = math.sqrt(0.95)
    assert mvc["n"] == 5 and mvc["spearman"]["r"] == pytest.approx(r, abs=1e-15)
    assert mvc["spearman"]["ci"] == pytest.approx([0.4582531610703235, 0.9991152349365122], 1e-12)
    se = math.sqrt((1 + r * r / 2) / 2)
    z = 1.959963984540054
    assert mvc["spearman"]["ci"] == pytest.approx(
        [math.tanh(math.atanh(r) - z * se), math.tanh(math.atanh(r) + z * se)], abs=1e-12
    )
    assert mvc["monitor_mean"] == 56.0 and mvc["customer_mean"] == 55.0
    assert mvc["mean_difference"] == 1.0 and mvc["customer_csat_mean"] == pytest.approx(3.2)
    svc = report["overall"]["self_vs_customer"]
    # Satisfied self / customer: yes/yes, yes/no, yes/yes, no/no, yes/yes: 80% agree; chance
    # 0.8 x 0.6 + 0.2 x 0.4 = 0.56; kappa = (0.8 - 0.56) / 0.44 = 6/11.
    assert svc["n"] == 5 and svc["agreement_pct"] == pytest.approx(80.0, abs=1e-12)
    assert svc["kappa"] == pytest.approx(6 / 11, abs=1e-15)
    assert svc["self_satisfied_pct"] == pytest.approx(80.0) and svc["flagged"] is False
    assert svc["customer_satisfied_pct"] == pytest.approx(60.0)
    # Monitors: W1 (90, 80), W3 (70, 60), W5 (50, 70): D_o = 600 / 6 = 100, D_e = 6000 / 30
    # = 200, alpha = 0.5; the one pair is the same three contacts.
    assert report["monitors"]["alpha"] == pytest.approx(0.5, abs=1e-15)
    assert report["monitors"]["n"] == 3
    assert report["monitors"]["pairs"] == [
        {"monitors": ["M1", "M2"], "alpha": pytest.approx(0.5, abs=1e-15), "n": 3}
    ]


def test_the_monitor_rows_use_each_monitors_own_scores(client, month_of_contacts):
    report = client.get(
        f"/api/v1/calibration?month={MONTH}&by=monitor", headers=month_of_contacts
    ).get_json()
    rows = {row["value"]: row for row in report["rows"]}
    # M1 scored W1, W2, W3, W5: 90 40 70 50 against 100 25 75 75; ranks 4 1 3 2 against
    # 4 1 2.5 2.5: r = 4.5 / sqrt(5 x 4.5) = sqrt(0.9).
    m1 = rows["M1"]["monitor_vs_customer"]
    assert m1["n"] == 4 and m1["spearman"]["r"] == pytest.approx(math.sqrt(0.9), abs=1e-15)
    assert m1["spearman"]["ci"] == pytest.approx([-0.4942455442997861, 0.9995306673519048], 1e-12)
    assert m1["mean_difference"] == pytest.approx(62.5 - 68.75)
    assert "self_vs_customer" not in rows["M1"]


def test_the_calibration_csv_has_the_whole_month_and_every_monitor_pair(client, month_of_contacts):
    answer = client.get(
        f"/api/v1/calibration?month={MONTH}&by=agent&format=csv", headers=month_of_contacts
    )
    text = answer.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["scope"], r["value"], r["paired_with"]) for r in rows] == [
        ("month", MONTH, ""),
        ("agent", "A1", ""),
        ("agent", "A2", ""),
        ("monitor_pair", "M1", "M2"),
    ]
    month = rows[0]
    assert month["monitor_n"] == "5" and month["spearman_r"] == f"{math.sqrt(0.95):.2f}"
    assert (month["spearman_ci_low"], month["spearman_ci_high"]) == ("0.46", "1.00")
    assert month["mean_difference"] == "1.00" and month["kappa"] == "0.55"
    assert month["agreement_pct"] == "80.00" and month["flagged"] == "false"
    assert (month["alpha"], month["alpha_n"]) == ("0.50", "3")
    assert (rows[3]["alpha"], rows[3]["alpha_n"], rows[3]["monitor_n"]) == ("0.50", "3", "")
    assert rows[1]["alpha"] == "" and rows[1]["self_n"] == "2"
