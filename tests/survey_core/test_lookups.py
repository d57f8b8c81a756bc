"""Look-ups by a list of keys go a bounded `$in` at a time (`storage.lookups`): SecantusDB's
time for one `$in` grows with the square of its list, and a list that grows with the data (a
month's training sessions, a batch's contacts) once stalled every client for seconds."""

from __future__ import annotations

import math
import re
from pathlib import Path

from pymongo import MongoClient

from survey_core.storage import lookups
from tests.commands import Commands

SERVICES = Path(__file__).resolve().parents[2] / "services"

# Where a literal `$in` may stand, and why its list is bounded by design.
BOUNDED = {
    "survey_core/storage/lookups.py": "the chunked look-ups themselves",
    "survey_core/complaints/counters.py": "a complaint's windows: ~30 counter documents",
    "survey_core/privacy/requests.py": "one person's keyed hashes and interaction ids",
    "survey_core/privacy/retention.py": "two event kinds",
    "survey_core/reports/queries.py": "the months of a report (at most 24)",
    "survey_core/responses/events.py": "the questions of one response",
    "survey_core/responses/reads.py": "the final statuses; the months of a page of rows",
    "survey_core/rollups/rebuild.py": "the months rebuilt",
    "ops/migration.py": "a chunk of `lookups.chunks`",
}


def test_find_in_sends_bounded_lists_and_finds_every_document(db_server, db):
    db.minimal.insert_many([{"_id": f"k{i:04d}", "even": i % 2 == 0} for i in range(100)])
    commands = Commands()
    client = MongoClient(db_server.uri, event_listeners=[commands])
    try:
        watched = client[db.name].minimal
        keys = [f"k{i:04d}" for i in range(100)] + ["missing"]
        found = list(lookups.find_in(watched, "_id", keys, {"even": True}, {"_id": 1}))
    finally:
        client.close()
    assert sorted(d["_id"] for d in found) == [f"k{i:04d}" for i in range(0, 100, 2)]
    finds = [target for name, target in commands.seen if name == "find"]
    assert finds == ["minimal"] * math.ceil(101 / lookups.CHUNK)


def test_delete_in_deletes_every_listed_document(db):
    db.minimal.insert_many([{"_id": i} for i in range(70)])
    assert lookups.delete_in(db.minimal, "_id", range(0, 70, 2)) == 35
    assert db.minimal.count_documents({}) == 35


def test_chunks_keep_order_and_size():
    assert [len(c) for c in lookups.chunks(range(70))] == [32, 32, 6]
    assert [k for c in lookups.chunks(range(70)) for k in c] == list(range(70))
    assert list(lookups.chunks([])) == []


def test_no_query_lists_keys_that_grow_with_the_data_in_one_in():
    """A literal `$in` stands only where its list is bounded by design; every other look-up by
    a list goes through `storage.lookups`."""
    found = {
        path.relative_to(SERVICES).as_posix()
        for path in SERVICES.rglob("*.py")
        if re.search(r"[\"']\$in[\"']", path.read_text())
    }
    assert found - set(BOUNDED) == set(), "use survey_core.storage.lookups (see its docstring)"
