"""Sessions, links and evaluations: once per trainee, anonymous, shown from ANONYMITY_MIN."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from tests.pipeline import fold
from tests.training_survey.conftest import RATINGS, evaluate


def test_a_session_gives_one_signed_link_per_trainee(session, trainer, db):
    trainer()
    body = session(trainees=["u1", "u2", "u3"])
    assert body["invited"] == 3 and body["month"] == "2026-10"
    assert [link["trainee_id"] for link in body["links"]] == ["u1", "u2", "u3"]
    assert all(link["url"].endswith("/t/" + link["token"]) for link in body["links"])
    assert len({link["token"] for link in body["links"]}) == 3
    for link in body["links"]:  # a signed token is readable: it must carry nothing personal
        link_id, expiry, claims = readable_payload(link["token"])
        assert len(link_id) == 22 and isinstance(expiry, int)
        assert set(claims) == {"c", "i", "s", "v", "l", "t", "r"}  # tokens.CLAIMS
        assert claims["c"] == "training" and claims["r"] == "TR1"
        assert link["trainee_id"] not in json.dumps(claims)  # the interaction is a keyed hash
        assert len(claims["i"]) >= 32


def readable_payload(token: str) -> list:
    """What anyone holding a token can read of it, without the key (itsdangerous compresses
    a long payload: it then starts with a dot)."""
    compressed = token.startswith(".")
    payload = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def test_an_evaluation_is_stored_once_per_trainee(client, session, trainer, db):
    trainer()
    token = session()["links"][0]["token"]
    assert evaluate(client, token).status_code == 201
    again = evaluate(client, token, {**RATINGS, "overall": 1})
    assert again.status_code == 409 and again.get_json()["code"] == "already_answered"
    fold(db)
    records = list(db.responses.find({"channel": "training", "status": "complete"}))
    assert len(records) == 1 and records[0]["ratings"]["overall"] == 4


def test_nothing_stored_names_a_trainee(client, session, trainer, db):
    trainer()
    body = session(trainees=["alice.chen", "bob.wu", "carol.li"])
    for link in body["links"]:
        evaluate(client, link["token"], {**RATINGS, "comment": "Clear examples."})
    fold(db)
    for name in db.list_collection_names():
        dumped = json.dumps(list(db[name].find()), default=str)
        for trainee in ("alice.chen", "bob.wu", "carol.li"):
            assert trainee not in dumped, (name, trainee)
    roster = db.training_rosters.find_one()
    assert set(roster) == {"_id", "evaluations"} and len(roster["evaluations"]) == 3


@pytest.mark.parametrize(
    "answers, field",
    [
        ({**RATINGS, "overall": 6}, "overall"),
        ({**RATINGS, "clarity": 0}, "clarity"),
        ({**RATINGS, "overall": 4.5}, "overall"),
        ({**RATINGS, "overall": "4"}, "overall"),
        ({k: v for k, v in RATINGS.items() if k != "interaction"}, "interaction"),
        ({**RATINGS, "recommend": 11}, "recommend"),
        ({**RATINGS, "comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_ratings_get_field_errors_and_store_nothing(
    client, session, trainer, db, answers, field
):
    trainer()
    token = session()["links"][0]["token"]
    response = evaluate(client, token, answers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["answers"]
    assert db.events.count_documents({"kind": "submit"}) == 0


@pytest.mark.parametrize(
    "change, field",
    [
        ({"trainees": []}, "trainees"),
        ({"trainees": ["u1", "u1"]}, "trainees"),
        ({"trainer_id": "nobody"}, "trainer_id"),
        ({"held_at": "2026-10-15T09:00:00"}, "held_at"),
        ({"language": "fr-FR"}, "language"),
    ],
)
def test_a_bad_session_gets_field_errors(client, writer, trainer, db, change, field):
    trainer()
    body = {
        "trainer_id": "TR1",
        "topic": "t",
        "held_at": "2026-10-15T09:00:00+08:00",
        "trainees": ["u1"],
        **change,
    }
    response = client.post("/api/v1/sessions", json=body, headers=writer)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert db.training_sessions.count_documents({}) == 0


def test_a_closed_session_takes_no_more_evaluations(client, session, trainer, writer, db):
    trainer()
    body = session()
    assert evaluate(client, body["links"][0]["token"]).status_code == 201
    closed = client.post(f"/api/v1/sessions/{body['session_id']}/close", headers=writer)
    assert closed.status_code == 200 and closed.get_json()["closed_at"]
    late = evaluate(client, body["links"][1]["token"])
    assert late.status_code == 410 and late.get_json()["code"] == "session_closed"
    page = client.get("/t/" + body["links"][2]["token"])
    assert page.status_code == 410 and page.mimetype == "text/html"


def test_an_open_session_shows_nothing_and_a_closed_one_its_figures_from_the_minimum(
    client, session, trainer, writer, db
):
    trainer()
    body = session(trainees=["u1", "u2", "u3", "u4"])
    for link, overall in zip(body["links"][:3], (5, 3, 4), strict=True):
        comment = "Great" if overall == 4 else "ok"
        evaluate(client, link["token"], {**RATINGS, "overall": overall, "comment": comment})
    fold(db)
    listed = client.get("/api/v1/sessions?month=2026-10", headers=writer).get_json()["sessions"]
    row = listed[0]
    assert (row["status"], row["answered"], row["shown"]) == ("open", None, False)
    assert row["overall"] is None and row["comments"] is None and row["response_rate"] is None
    closed = session.close(body["session_id"])
    assert (closed["status"], closed["answered"], closed["shown"]) == ("released", 3, True)
    assert closed["overall"]["mean"] == pytest.approx(4.0) and closed["overall"]["n"] == 3
    assert closed["comments"] == ["Great", "ok", "ok"] and closed["response_rate"] == 0.75


def test_a_closed_session_under_the_minimum_is_withheld_with_its_count_only(
    client, session, trainer, writer, db
):
    trainer()
    body = session(trainees=["u1", "u2", "u3", "u4"])
    for link in body["links"][:2]:
        evaluate(client, link["token"], {**RATINGS, "comment": "ok"})
    fold(db)
    row = session.close(body["session_id"])
    assert (row["status"], row["answered"], row["shown"]) == ("withheld", 2, False)
    assert row["overall"] is None and row["comments"] is None


def test_a_session_whose_links_all_expired_is_closed(client, session, trainer, writer, db):
    trainer()
    body = session(trainees=["u1", "u2", "u3"], expires_in=3600)
    for link in body["links"]:
        evaluate(client, link["token"])
    listed = client.get("/api/v1/sessions", headers=writer).get_json()["sessions"]
    assert listed[0]["status"] == "open"
    db.training_sessions.update_one(
        {"_id": body["session_id"]},
        {"$set": {"links_expire_at": datetime.now(UTC) - timedelta(seconds=1)}},
    )
    listed = client.get("/api/v1/sessions", headers=writer).get_json()["sessions"]
    assert (listed[0]["status"], listed[0]["answered"]) == ("released", 3)


def test_the_evaluation_page_asks_four_ratings_and_thanks(client, session, trainer, db):
    import re

    trainer()
    token = session()["links"][0]["token"]
    page = client.get("/t/" + token)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="en-US">' in html
    assert html.count("<fieldset") == 6
    assert "Excellent" in html and "Poor" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf, **{k: str(v) for k, v in RATINGS.items()}}
    done = client.post("/t/" + token, data=form)
    assert done.status_code == 200 and "Thank you for your evaluation!" in done.get_data(
        as_text=True
    )
    reopened = client.get("/t/" + token)  # blank, as if unused: who answered stays unknown
    assert reopened.status_code == 200 and "checked" not in reopened.get_data(as_text=True)
    again = client.post("/t/" + token, data=form)
    assert again.status_code == 409 and "Already answered" in again.get_data(as_text=True)


def test_trainers_need_an_admin_key_and_unique_ids(client, admin, api_key):
    body = {"id": "TR1", "name": "Li Wei"}
    assert client.post("/api/v1/trainers", json=body, headers=api_key("write")).status_code == 403
    assert client.post("/api/v1/trainers", json=body, headers=admin).status_code == 201
    assert client.post("/api/v1/trainers", json=body, headers=admin).status_code == 409
    listed = client.get("/api/v1/trainers", headers=admin).get_json()["trainers"]
    assert listed == [{"id": "TR1", "name": "Li Wei", "team": None, "active": True}]


def test_the_openapi_document_covers_every_json_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]) == {
        "/api/v1/trainers",
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}/close",
        "/api/v1/evaluations",
    }
    assert client.get("/docs").status_code == 200


def test_an_expired_evaluation_link_is_gone(client, session, trainer, app):
    from datetime import UTC, datetime, timedelta

    from survey_core.tokens import read_link, sign_link

    trainer()
    token = session()["links"][0]["token"]
    secret = app.config["SETTINGS"].secret_key
    link_id, _ = read_link(secret, "training", token)
    expired = sign_link(secret, "training", link_id, datetime.now(UTC) - timedelta(hours=1))
    assert evaluate(client, expired).status_code == 410
    assert client.get("/t/" + expired).status_code == 410
    web_token = sign_link(secret, "survey", link_id, datetime.now(UTC) + timedelta(hours=1))
    assert evaluate(client, web_token).status_code == 404  # a link for another purpose


@pytest.mark.parametrize("bad", ["\ud800", "a\u0000b", "\u0007"])
def test_a_comment_that_cannot_be_stored_is_a_422_by_json_and_by_form(
    client, session, trainer, db, bad
):
    import json
    import re

    trainer()
    links = session()["links"]
    answers = {"kind": {"$in": ["answer", "submit", "draft", "transcript"]}}
    # JSON with the character escaped, as a client sends it ("\ud800" reaches the parser).
    body = json.dumps({"token": links[0]["token"], "answers": {**RATINGS, "comment": bad}})
    sent = client.post("/api/v1/evaluations", data=body, content_type="application/json")
    assert sent.status_code == 422 and "comment" in sent.get_json()["errors"]["answers"]
    if bad != "\ud800":  # a form is UTF-8 bytes: a surrogate arrives as U+FFFD, text
        html = client.get("/t/" + links[1]["token"]).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        form = {"csrf_token": csrf, **{k: str(v) for k, v in RATINGS.items()}, "comment": bad}
        posted = client.post("/t/" + links[1]["token"], data=form)
        assert posted.status_code == 422 and posted.mimetype == "text/html"
    assert db.events.count_documents(answers) == 0
