"""Writes to several collections in one round trip (`storage.together`): their errors come out
as the kinds a transaction and its caller know."""

from __future__ import annotations

import pytest
from pymongo import InsertOne, ReplaceOne
from pymongo.errors import DuplicateKeyError, OperationFailure

from survey_core.storage.together import namespace, write_together
from survey_core.storage.transactions import in_transaction


def test_writes_to_two_collections_are_stored_in_order(db):
    write_together(
        db,
        [
            InsertOne({"_id": "a"}, namespace=namespace(db, "complaints")),
            ReplaceOne({"_id": "c"}, {"n": 1}, upsert=True, namespace=namespace(db, "minimal")),
        ],
    )
    assert db.complaints.find_one() == {"_id": "a"}
    assert db.minimal.find_one() == {"_id": "c", "n": 1}


def test_a_duplicate_key_names_the_write_and_stops_the_rest(db):
    db.minimal.insert_one({"_id": "taken"})
    writes = [
        InsertOne({"_id": "new"}, namespace=namespace(db, "complaints")),
        InsertOne({"_id": "taken"}, namespace=namespace(db, "minimal")),
        InsertOne({"_id": "after"}, namespace=namespace(db, "complaints")),
    ]
    with pytest.raises(DuplicateKeyError) as raised:
        write_together(db, writes)
    assert raised.value.details["index"] == 1
    assert [d["_id"] for d in db.complaints.find()] == ["new"]  # ordered: "after" never ran


def test_a_write_conflict_keeps_its_label_so_the_transaction_is_retried(db):
    db.minimal.insert_one({"_id": "shared", "n": 0})
    first = db.client.start_session()
    first.start_transaction()
    write = ReplaceOne({"_id": "shared"}, {"n": 1}, namespace=namespace(db, "minimal"))
    write_together(db, [write], session=first)
    second = db.client.start_session()
    second.start_transaction()
    with pytest.raises(OperationFailure) as raised:
        write_together(db, [write], session=second)
    assert raised.value.has_error_label("TransientTransactionError")
    second.abort_transaction()
    first.commit_transaction()
    # in_transaction retries it until the first commits, and then it applies.
    again = ReplaceOne({"_id": "shared"}, {"n": 2}, namespace=namespace(db, "minimal"))
    in_transaction(db, lambda s: write_together(db, [again], session=s))
    assert db.minimal.find_one({"_id": "shared"})["n"] == 2
    first.end_session()
    second.end_session()
