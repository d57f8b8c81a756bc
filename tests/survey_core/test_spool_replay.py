"""Replaying the spool: a write the database refuses for now stays spooled; only a record that
can never be written goes to dead/.

The request path spools an event on any database error and tells the client it was taken (the
IVR's next question, the web survey's thanks), so the replay must not throw it away on the same
kind of error: found by `make faults`, where a web submission spooled on `HostUnreachable` (a
failCommand errorCode 6 on insert) was moved to dead/ by the worker's replay a moment later,
while the fail point was still armed, and never stored.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import OperationFailure, WriteConcernError, WriteError

from survey_core.responses import events
from survey_core.responses.events import Kind
from survey_core.responses.spool import Spool

META = {"channel": "email", "interaction_id": "W-SPOOL", "survey": "post-contact", "version": 1}


def submission() -> dict[str, Any]:
    answers = {"csat": 1, "nps": 0, "ces": 5}
    return events.event(Kind.SUBMIT, META, answers=answers, qtypes={k: k for k in answers})


def arm(db, **data: Any) -> None:
    """Fail the next insert of this process's clients (appName voice-of-customer), once."""
    db.client.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": 1},
        data={"failCommands": ["insert"], "appName": "voice-of-customer", **data},
    )


@pytest.mark.parametrize(
    "failure",
    [
        {"errorCode": 6},  # HostUnreachable: OperationFailure, not a ConnectionFailure
        {"errorCode": 89},  # NetworkTimeout
        {"writeConcernError": {"code": 64, "codeName": "WriteConcernFailed", "errmsg": "x"}},
    ],
    ids=["HostUnreachable", "NetworkTimeout", "writeConcernError"],
)
def test_a_transient_refusal_keeps_the_event_spooled(db, tmp_path, failure):
    spool = Spool(tmp_path)
    ev = submission()
    spool.put(ev)
    arm(db, **failure)
    try:
        written, left = spool.drain(lambda record: events.insert(db, record))
    finally:
        db.client.admin.command("configureFailPoint", "failCommand", mode="off")
    assert list((tmp_path / "dead").iterdir()) == []
    assert (written, left) == (0, 1)
    assert spool.drain(lambda record: events.insert(db, record)) == (1, 0)
    assert db.events.find_one({"_id": ev["_id"]})["answers"] == ev["answers"]


@pytest.mark.parametrize(
    "error",
    [
        OperationFailure("HostUnreachable", 6),
        WriteConcernError("ShutdownInProgress", 91),
    ],
)
def test_the_replay_stops_at_a_refusal_and_keeps_the_order(tmp_path, error):
    spool = Spool(tmp_path)
    for n in range(3):
        spool.put({"_id": f"e{n}"})
    seen: list[str] = []

    def refuse(record: dict[str, Any]) -> None:
        seen.append(record["_id"])
        raise error

    assert spool.drain(refuse) == (0, 3)
    assert seen == ["e0"]
    assert list((tmp_path / "dead").iterdir()) == []


def test_a_record_that_can_never_be_written_still_goes_to_dead(tmp_path):
    spool = Spool(tmp_path)
    spool.put({"_id": "poison"})
    spool.put({"_id": "rejected"})
    spool.put({"_id": "fine"})
    (tmp_path / "00000000000000000000-torn.json").write_text("{not json")
    written: list[str] = []

    def apply(record: dict[str, Any]) -> None:
        if record["_id"] == "poison":
            raise KeyError("meta")
        if record["_id"] == "rejected":
            raise WriteError("Document failed validation", 121)
        written.append(record["_id"])

    assert spool.drain(apply) == (1, 0)
    assert written == ["fine"]
    assert len(list((tmp_path / "dead").iterdir())) == 3
