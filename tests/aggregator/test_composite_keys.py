"""Keys made of several fields never let two different inputs share a record or a rollup cell."""

from __future__ import annotations

import io
import itertools

import pytest

from ops.importer import import_rows
from survey_core import keys
from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.rollups.rebuild import rebuild
from survey_core.settings import Settings
from tests.pipeline import answered, fold, opened

MONTH = "2026-10"
WHEN = "2026-10-12T10:00:00+08:00"
ODD = ["", "a", ":", "|", "%", "%3A", "%7C", "a:b", "a|b", "a%b", "\n", "李:娜", "\ud7ff|%25"]


@pytest.mark.parametrize("sep", [":", "|", "\n"])
@pytest.mark.parametrize("tail", [False, True])
def test_every_tuple_has_its_own_key_and_reads_back(sep, tail):
    tuples = [list(t) for n in (1, 2, 3) for t in itertools.product(ODD[:9], repeat=n)]
    seen: dict[str, list[str]] = {}
    for parts in tuples:
        key = keys.encode(parts, sep, tail=tail)
        assert keys.decode(key, sep, len(parts) if tail else None) == parts
        if not tail:
            assert seen.setdefault(key, parts) == parts
    for n in (1, 2, 3):  # with a verbatim tail: one-to-one for tuples of one length
        found = {keys.encode(p, sep, tail=True) for p in tuples if len(p) == n}
        assert len(found) == len([p for p in tuples if len(p) == n])


def test_keys_without_separators_are_the_plain_join():
    assert keys.encode(["2026-10", "agent", "A 1"], "|") == "2026-10|agent|A 1"
    assert keys.encode(["ivr", "CA1:x|y"], ":", tail=True) == "ivr:CA1:x|y"
    assert keys.encode(["a|b", "c"], "|") == "a%7Cb|c"


def post(client, api_key, path, body):
    response = client.post(path, json=body, headers=api_key("write"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_thanks_from_different_sources_are_two_letters(client, api_key, db):
    base = {"agent": "A1", "received_at": WHEN}
    one = post(client, api_key, "/api/v1/thanks", {**base, "source": "mail:X", "source_id": "1"})
    two = post(client, api_key, "/api/v1/thanks", {**base, "source": "mail", "source_id": "X:1"})
    assert one["created"] and two["created"] and one["id"] != two["id"]
    assert db.thanks.count_documents({}) == 2


def test_agent_ratings_with_a_colon_in_the_channel_are_two_contacts(client, api_key, db):
    base = {"agent": "A1", "rating": 4, "rated_at": WHEN}
    one = {**base, "channel": "ivr:x", "interaction_id": "1"}
    two = {**base, "channel": "ivr", "interaction_id": "x:1"}
    assert post(client, api_key, "/api/v1/agent-ratings", one)["created"]
    assert post(client, api_key, "/api/v1/agent-ratings", two)["created"]
    assert db.agent_ratings.count_documents({}) == 2


def test_monitor_scores_with_a_bar_in_the_monitor_id_are_two_scores(client, api_key, db):
    base = {
        "agent": "A1",
        "scored_at": WHEN,
        "form": {"id": "f", "version": 1},
        "items": [{"key": "greeting", "score": 8, "max": 10}],
    }
    one = {**base, "monitor_id": "M|a", "channel": "web", "interaction_id": "1"}
    two = {**base, "monitor_id": "M", "channel": "a|web", "interaction_id": "1"}
    assert post(client, api_key, "/api/v1/monitor-scores", one)["created"]
    assert post(client, api_key, "/api/v1/monitor-scores", two)["created"]
    assert db.monitor_scores.count_documents({}) == 2


@pytest.mark.parametrize("folded", [False, True])
def test_dimension_values_with_a_bar_fill_their_own_cells(client, read_key, add, db, folded):
    add(agent="P|Q", team="R", csat=5)
    add(agent="P", team="Q|R", csat=1)
    add(agent="P", team="Q", reason="R|billing", csat=3)
    add(agent="P%7CQ", team="R", csat=4)  # what an escaped "P|Q" looks like
    if folded:
        fold(db)
    cases = (("P|Q", "R", 100.0), ("P", "Q|R", 0.0), ("P", "Q", 0.0), ("P%7CQ", "R", 100.0))
    for agent, team, csat in cases:
        query = {"from": MONTH, "to": MONTH, "agent": agent, "team": team}
        body = client.get("/api/v1/metrics/monthly", query_string=query, headers=read_key)
        [row] = body.get_json()["rows"]
        assert (row["responses"], row["csat"]["value"]) == (1, csat), (agent, team)
    fold(db)
    assert rebuild(db, repair=False)["drift"] == []


def test_an_interaction_id_with_a_colon_never_takes_another_responses_event(db):
    meta = {"channel": "ivr", "month": MONTH, "survey": "post-call", "version": 1}
    # "x:q" opening and "x" answering a question keyed "open" were one event id.
    assert opened(db, {**meta, "interaction_id": "x:q"}) == "stored"
    assert answered(db, {**meta, "interaction_id": "x"}, "open", 4, reached=1) == "stored"
    ids = {
        events.event(Kind.OPEN, {**meta, "interaction_id": "x:q"}, status="in_progress")["_id"],
        events.event(Kind.ANSWER, {**meta, "interaction_id": "x"}, "open", value=4)["_id"],
    }
    assert len(ids) == 2 and db.events.count_documents({}) == 2
    fold(db)
    assert db.responses.find_one({"_id": "ivr:x:q"})["opened"] == "in_progress"
    assert db.responses.find_one({"_id": "ivr:x"})["answers"] == {"open": 4}


def test_import_batches_of_different_ids_are_guarded_apart(db):
    tz = Settings.from_env({"VOC_ENV": "test"}).tz
    header = "interaction_id,datetime,channel,agent,team,reason,csat,nps,ces\n"
    # One id "a\nivr:b" and the two ids "a", "b" joined by a newline read the same; an id is
    # one line now (a line break is refused), so the batch of one is skipped.
    one = import_rows(
        db, io.StringIO(header + '"a\nivr:b",2026-10-05T10:00:00Z,ivr,A1,,,5,,\n'), tz
    )
    assert one.loaded == 0 and "line break" in " | ".join(one.skipped)
    two = "a,2026-10-05T10:00:00Z,ivr,A1,,,4,,\nb,2026-10-05T10:00:00Z,ivr,A1,,,3,,\n"
    assert import_rows(db, io.StringIO(header + two), tz).loaded == 2
    assert db.rollups.find_one({"_id": f"{MONTH}|all|*"})["csat"] == {"4": 1, "3": 1}
    assert rebuild(db, repair=False)["drift"] == []
