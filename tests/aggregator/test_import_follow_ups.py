"""Imported past results open no follow-up unless the import is asked to open them."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from ops.cli import main
from ops.importer import import_rows
from survey_core.follow_ups.store import drain_queue
from survey_core.settings import Settings, WorkerSettings

TZ = Settings.from_env({"VOC_ENV": "test"}).tz
ROWS = (
    "interaction_id,datetime,channel,agent,team,reason,csat,nps,ces\n"
    "H1,2026-10-05T10:00:00Z,ivr,A1,north,billing,1,2,5\n"  # unhappy
    "H2,2026-10-05T11:00:00Z,chat,A1,north,billing,5,10,1\n"  # happy
    "H3,2026-10-05T12:00:00Z,chat,A2,south,,4,5,2\n"  # NPS 5: unhappy
)


def opened(db, config) -> list[str]:
    """What the worker opens from its queue: the follow-ups' ids (each with its complaint)."""
    drain_queue(db, WorkerSettings.from_env(config))
    assert db.complaints.count_documents({}) == db.follow_ups.count_documents({})
    return sorted(f["_id"] for f in db.follow_ups.find())


def test_an_import_opens_no_follow_up_by_default(db, config):
    assert import_rows(db, io.StringIO(ROWS), TZ).loaded == 3
    assert db.followup_queue.count_documents({}) == 0
    assert opened(db, config) == []


def test_an_import_asked_to_opens_each_unhappy_results_follow_up_once(db, config):
    assert import_rows(db, io.StringIO(ROWS), TZ, open_follow_ups=True).loaded == 3
    again = import_rows(db, io.StringIO(ROWS), TZ, open_follow_ups=True)
    assert again.loaded == 0 and again.already_present == 3
    assert opened(db, config) == ["chat:H3", "ivr:H1"]
    follow_up = db.follow_ups.find_one({"_id": "ivr:H1"})
    assert (follow_up["agent"], follow_up["scores"]) == ("A1", {"csat": 1, "nps": 2, "ces": 5})
    import_rows(db, io.StringIO(ROWS), TZ, open_follow_ups=True)
    assert opened(db, config) == ["chat:H3", "ivr:H1"]  # nothing twice


@pytest.mark.parametrize(("flag", "expected"), [([], []), (["--open-follow-ups"], ["ivr:H1"])])
def test_the_import_command_opens_follow_ups_only_with_its_flag(
    db, config, tmp_path, flag, expected
):
    path = tmp_path / "history.csv"
    path.write_text(ROWS.replace("4,5,2", "4,9,2"), encoding="utf-8")
    env = {k: str(v) for k, v in config.items()}
    result = CliRunner().invoke(main, ["import", str(path), *flag], env=env)
    assert result.exit_code == 0, result.output
    assert "loaded: 3" in result.stdout
    assert opened(db, config) == expected
