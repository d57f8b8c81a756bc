"""Trainee anonymity against a watcher: whoever polls every training figure as evaluations
arrive (the sessions API, the trainer's month, the ranking in JSON and CSV, the dashboard) sees
nothing move until the session's window closes; and a link holder cannot learn from a form post
whether the link was used."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

import aggregator
from tests.pipeline import fold
from tests.training_survey.conftest import RATINGS, evaluate
from web_survey import create_app as web_app

MONTH = "2026-10"
HELD = {"held_at": "2026-10-15T09:00:00+08:00", "language": "en-US"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def watcher(config, api_key, writer, client):
    """Every training figure a reader can see, as one comparable snapshot."""
    reports = aggregator.create_app(config).test_client()
    reader = api_key("read")
    sign_in = reports.get("/dashboard/sign-in?lang=en-US").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(sign_in).group(1), "key": reader["Authorization"][7:]}
    assert reports.post("/dashboard/sign-in", data={**form, "lang": "en-US"}).status_code == 302

    def look() -> dict:
        def get(c, path, headers, **query):
            answer = c.get(path, query_string=query, headers=headers)
            assert answer.status_code == 200, (path, answer.get_data(as_text=True)[:300])
            return answer

        sessions = get(client, "/api/v1/sessions", writer, month=MONTH).get_json()["sessions"]
        for row in sessions:
            row.pop("links", None)
        page = get(reports, "/dashboard", {}, month=MONTH, lang="en-US").get_data(as_text=True)
        return {
            "sessions": sessions,
            "ranking": get(reports, "/api/v1/trainers/ranking", reader, month=MONTH).get_json(),
            "csv": get(
                reports, "/api/v1/trainers/ranking", reader, month=MONTH, format="csv"
            ).get_data(),
            "trend": get(
                reports, "/api/v1/trainers/TR1/monthly", reader, **{"from": MONTH, "to": MONTH}
            ).get_json(),
            "dashboard": re.search(r'<table id="ranking">.*?</table>', page, re.S).group(0),
        }

    return look


def test_a_watcher_sees_no_figure_move_while_a_session_is_open(
    client, session, trainer, watcher, db
):
    trainer()
    earlier = session(trainees=[f"e{i}" for i in range(4)])
    for link in earlier["links"]:
        evaluate(client, link["token"], {**RATINGS, "comment": "fine"})
    fold(db)
    session.close(earlier["session_id"])
    current = session(trainees=[f"u{i}" for i in range(5)])
    before = watcher()
    assert before["ranking"]["trainers"][0]["n"] == 4  # the released session counts
    for i, link in enumerate(current["links"]):
        answers = {**RATINGS, "overall": 1 + i % 5, "comment": f"comment {i}"}
        assert evaluate(client, link["token"], answers).status_code == 201
        assert watcher() == before, f"a figure moved after evaluation {i + 1}"
        fold(db)
        assert watcher() == before, f"a figure moved after folding evaluation {i + 1}"
    session.close(current["session_id"])
    after = watcher()
    assert after["ranking"]["trainers"][0]["n"] == 9
    released = next(s for s in after["sessions"] if s["session_id"] == current["session_id"])
    assert released["status"] == "released" and len(released["comments"]) == 5


def test_a_closed_session_under_the_minimum_counts_nowhere(client, session, trainer, watcher, db):
    trainer()
    small = session(trainees=["u1", "u2", "u3"])
    for link in small["links"][:2]:
        evaluate(client, link["token"], {**RATINGS, "comment": "mine"})
    fold(db)
    session.close(small["session_id"])
    seen = watcher()
    assert seen["ranking"]["trainers"] == [] and seen["ranking"]["best"] is None
    assert seen["trend"]["rows"][0]["n"] == 0 and seen["trend"]["rows"][0]["sessions_withheld"] == 1
    row = seen["sessions"][0]
    assert (row["status"], row["answered"], row["overall"], row["comments"]) == (
        "withheld",
        2,
        None,
        None,
    )
    assert "mine" not in seen["dashboard"]


def _post_alike(client, path: str, data: dict) -> tuple[int, str]:
    answer = client.post(path, data=data)
    return answer.status_code, CSRF.sub("", answer.get_data(as_text=True))


@pytest.mark.parametrize(
    "form",
    [
        {},  # empty: no CSRF token
        {"csrf_token": "forged"},
        {"overall": "9"},
    ],
)
def test_a_form_post_says_the_same_of_a_used_and_an_unused_training_link(
    client, session, trainer, form
):
    trainer()
    used, unused = session(trainees=["u1", "u2"])["links"]
    assert evaluate(client, used["token"]).status_code == 201
    assert _post_alike(client, "/t/" + used["token"], form) == _post_alike(
        client, "/t/" + unused["token"], form
    )


def test_an_invalid_form_with_a_good_token_is_answered_alike_too(client, session, trainer):
    trainer()
    used, unused = session(trainees=["u1", "u2"])["links"]
    tokens = {}
    for link in (used, unused):  # forms opened before either link was used
        page = client.get("/t/" + link["token"]).get_data(as_text=True)
        tokens[link["token"]] = CSRF.search(page).group(1)
    assert evaluate(client, used["token"]).status_code == 201
    seen = [
        _post_alike(client, "/t/" + link["token"], {"csrf_token": tokens[link["token"]]})
        for link in (used, unused)
    ]
    assert seen[0] == seen[1] and seen[0][0] == 422
    # With valid answers the used link says so (its own trainee resubmitting), the other thanks.
    full = {k: str(v) for k, v in RATINGS.items()}
    assert (
        client.post(
            "/t/" + used["token"], data={"csrf_token": tokens[used["token"]], **full}
        ).status_code
        == 409
    )


def test_a_form_post_says_the_same_of_a_used_and_an_unused_survey_link(config, api_key):
    web = web_app(config).test_client()
    writer = api_key("write")
    made = [
        web.post(
            "/api/v1/invitations",
            json={"channel": "chat", "interaction_id": f"C{i}"},
            headers=writer,
        ).get_json()
        for i in range(2)
    ]
    used, unused = (m["token"] for m in made)
    answer = web.post(
        "/api/v1/responses", json={"token": used, "answers": {"csat": 5, "nps": 9, "ces": 2}}
    )
    assert answer.status_code == 201, answer.get_json()
    for form in ({}, {"csrf_token": "forged"}):
        assert _post_alike(web, "/s/" + used, form) == _post_alike(web, "/s/" + unused, form)


def _page_alike(client, token: str) -> tuple[int, str]:
    answer = client.get("/t/" + token)
    return answer.status_code, CSRF.sub("", answer.get_data(as_text=True)).replace(token, "")


def test_opening_a_used_training_link_looks_like_opening_an_unused_one(client, session, trainer):
    trainer()
    used, unused = session(trainees=["u1", "u2"])["links"]
    secret = {**RATINGS, "comment": "only the trainee wrote this"}
    assert evaluate(client, used["token"], secret).status_code == 201
    seen = _page_alike(client, used["token"])
    assert seen == _page_alike(client, unused["token"]) and seen[0] == 200
    assert "only the trainee wrote this" not in seen[1]  # never the answers given


def test_a_session_is_stored_with_its_window_before_any_link_is_made(
    client, session, trainer, writer, db, monkeypatch
):
    """A session whose link-making fails half way still closes when its links expire."""
    from survey_core.questionnaires import invitations
    from survey_core.training import sessions

    trainer()
    body = session(trainees=["u1", "u2"], expires_in=3600)
    stored = db.training_sessions.find_one({"_id": body["session_id"]})
    assert {link["expires_at"] for link in body["links"]} == {
        stored["links_expire_at"].replace(tzinfo=UTC).isoformat()
    }
    made = []

    def fails_half_way(db, policy, asked, now=None):
        made.append(invitations.invite_many(db, policy, asked[:1], now)[0])
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sessions, "invite_many", fails_half_way)
    half_way = {**HELD, "trainer_id": "TR1", "topic": "half", "trainees": ["v1", "v2"]}
    assert client.post("/api/v1/sessions", json=half_way, headers=writer).status_code == 500
    half = db.training_sessions.find_one({"topic": "half"})
    assert half["links_expire_at"] == made[0].invitation["expires_at"]


def test_a_session_stored_without_its_window_gets_it_from_db_migrate(
    client, session, trainer, watcher, db
):
    """Sessions stored before they kept their window: `surveyctl db migrate` gives them the
    last expiry of their links, so they are released once those expired."""
    from ops.migration import migrate

    trainer()
    body = session(trainees=["u1", "u2", "u3"])
    for link in body["links"]:
        evaluate(client, link["token"])
    fold(db)
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    db.training_sessions.update_one(
        {"_id": body["session_id"]}, {"$unset": {"links_expire_at": ""}}
    )
    db.invitations.update_many(
        {"meta.session_id": body["session_id"]}, {"$set": {"expires_at": past}}
    )
    assert watcher()["sessions"][0]["status"] == "open"  # never closes by itself
    assert migrate(db)["training_windows"] == 1
    assert db.training_sessions.find_one({"_id": body["session_id"]})["links_expire_at"] == past
    seen = watcher()
    assert (seen["sessions"][0]["status"], seen["sessions"][0]["answered"]) == ("released", 3)
    assert seen["ranking"]["trainers"][0]["n"] == 3
    assert migrate(db)["training_windows"] == 0


def test_once_closed_a_valid_post_says_the_same_of_a_used_and_an_unused_link(
    client, session, trainer
):
    """After the session closed, a valid post with a good CSRF token stores nothing: it must
    not tell (for free) which links were used."""
    trainer()
    body = session(trainees=["u1", "u2"])
    used, unused = body["links"]
    tokens = {}
    for link in (used, unused):
        page = client.get("/t/" + link["token"]).get_data(as_text=True)
        tokens[link["token"]] = CSRF.search(page).group(1)
    assert evaluate(client, used["token"]).status_code == 201
    session.close(body["session_id"])
    full = {k: str(v) for k, v in RATINGS.items()}
    seen = [
        _post_alike(client, "/t/" + link["token"], {"csrf_token": tokens[link["token"]], **full})
        for link in (used, unused)
    ]
    assert seen[0] == seen[1] and seen[0][0] == 410
