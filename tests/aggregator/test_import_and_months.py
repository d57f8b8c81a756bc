"""Historical import: idempotent, reasons for skipped rows, months in the contact centre's zone."""

import io

import pytest
from click.testing import CliRunner

from ops.cli import main
from ops.importer import import_rows
from survey_core.settings import Settings

TZ = Settings.from_env({"VOC_ENV": "test"}).tz
HEADER = "interaction_id,datetime,channel,agent,team,reason,csat,nps,ces\n"


def load(db, text):
    return import_rows(db, io.StringIO(HEADER + text), TZ)


def all_doc(db, month):
    return db.rollups.find_one({"_id": f"{month}|all|*"}) or {}


def test_import_loads_rows_and_updates_rollups(db):
    summary = load(
        db,
        "C1,2026-10-05T10:00:00+08:00,ivr,A1,north,billing,5,10,2\n"
        "C2,2026-10-06T10:00:00+08:00,web,A2,south,delivery,3,,\n",
    )
    assert (summary.rows, summary.loaded, sum(summary.skipped.values())) == (2, 2, 0)
    doc = all_doc(db, "2026-10")
    assert doc["csat"] == {"5": 1, "3": 1} and doc["nps"] == {"10": 1} and doc["ces"] == {"2": 1}
    assert db.rollups.find_one({"_id": "2026-10|agent|A2"})["csat"] == {"3": 1}


def test_import_twice_adds_nothing(db):
    rows = "C1,2026-10-05T10:00:00Z,ivr,A1,north,billing,5,10,2\n"
    load(db, rows)
    again = load(db, rows)
    assert again.loaded == 0 and again.already_present == 1
    assert all_doc(db, "2026-10")["csat"] == {"5": 1}


def test_bad_rows_are_skipped_with_reasons(db):
    summary = load(
        db,
        ",2026-10-05T10:00:00Z,ivr,A1,,,5,,\n"
        "C2,yesterday,ivr,A1,,,5,,\n"
        "C3,2026-10-05T10:00:00Z,fax,A1,,,5,,\n"
        "C4,2026-10-05T10:00:00Z,ivr,A1,,,6,,\n"
        "C5,2026-10-05T10:00:00Z,ivr,A1,,,,,\n"
        "C6,2026-10-05T10:00:00Z,ivr,A1,,,4.5,,\n"
        "C7,2026-10-05T10:00:00Z,ivr,A1,,,4,,\n"
        "C7,2026-10-05T10:00:00Z,ivr,A1,,,4,,\n",
    )
    assert summary.loaded == 1
    reasons = " | ".join(summary.skipped)
    for text in (
        "no interaction id",
        "ISO 8601",
        "channel 'fax'",
        "from 1 to 5",
        "no score",
        "repeated in the file",
    ):
        assert text in reasons
    assert summary.examples[0].startswith("line 2:")


def test_a_name_with_a_control_character_or_a_line_break_is_skipped(db):
    summary = load(
        db,
        "C1,2026-10-05T10:00:00Z,ivr,A\x00,,,5,,\n"
        'C2,2026-10-05T10:00:00Z,ivr,A2,"north\nsouth",,5,,\n'
        "C3\x07,2026-10-05T10:00:00Z,ivr,A3,,,5,,\n"
        "C4,2026-10-05T10:00:00Z,ivr,A4,,billing,5,,\n",
    )
    assert summary.loaded == 1 and db.responses.count_documents({}) == 1
    assert "holds a control character" in " | ".join(summary.skipped)


def test_missing_required_column_is_refused(db):
    with pytest.raises(ValueError, match="channel"):
        import_rows(db, io.StringIO("interaction_id,datetime\nC1,2026-10-01\n"), TZ)


@pytest.mark.parametrize(
    "moment,month",
    [
        ("2026-10-31T23:30:00Z", "2026-11"),  # 07:30 on 1 November in Shanghai
        ("2026-10-31T15:59:59Z", "2026-10"),  # 23:59:59 on 31 October in Shanghai
        ("2026-10-31T16:00:00Z", "2026-11"),  # midnight in Shanghai
        ("2026-10-31T23:30:00", "2026-10"),  # no offset: read in Shanghai time
        ("2026-12-31T16:00:00+00:00", "2027-01"),  # new year
        ("2026-11-01T00:30:00+09:00", "2026-10"),  # 23:30 on 31 October in Shanghai
    ],
)
def test_months_are_calendar_months_in_the_configured_zone(db, moment, month):
    load(db, f"C1,{moment},ivr,A1,,,5,,\n")
    assert db.responses.find_one()["month"] == month
    assert all_doc(db, month)["csat"] == {"5": 1}


def test_import_command_prints_a_summary(config, db, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "\ufeff" + HEADER + "C1,2026-10-05T10:00:00Z,chat,李娜,,,4,9,1\nC2,bad,chat,A1,,,4,9,1\n",
        encoding="utf-8",
    )
    env = {k: str(v) for k, v in config.items()}
    result = CliRunner().invoke(main, ["import", str(path)], env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert "loaded: 1" in result.stdout and "skipped 1: date-time 'bad'" in result.stdout
    assert db.rollups.find_one({"_id": "2026-10|agent|李娜"})["nps"] == {"9": 1}


def test_an_interrupted_import_is_completed_once_by_the_next_run(db, monkeypatch):
    import ops.importer as importer

    rows = (
        "C1,2026-10-05T10:00:00Z,ivr,A1,north,billing,5,10,2\n"
        "C2,2026-10-05T11:00:00Z,ivr,A2,north,billing,4,,\n"
    )

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(importer, "_apply_batch", crash)
    with pytest.raises(RuntimeError):
        load(db, rows)
    assert db.responses.count_documents({}) == 2 and not all_doc(db, "2026-10")
    monkeypatch.undo()
    again = load(db, rows)
    assert again.loaded == 0 and again.already_present == 2
    assert all_doc(db, "2026-10")["csat"] == {"5": 1, "4": 1}
    load(db, rows)
    assert all_doc(db, "2026-10")["csat"] == {"5": 1, "4": 1}
    from survey_core.rollups.rebuild import rebuild

    assert rebuild(db, repair=False)["drift"] == []


def test_a_batch_applied_twice_counts_once(db):
    import ops.importer as importer

    load(db, "C1,2026-10-05T10:00:00Z,ivr,A1,north,billing,5,,\n")
    batch = db.responses.find_one()["import_batch"]
    importer._finish_batch(db, batch)
    assert all_doc(db, "2026-10")["csat"] == {"5": 1}


def test_common_channel_names_are_understood(db):
    summary = load(
        db, "C1,2026-10-05T10:00:00Z,Phone,A1,,,5,,\nC2,2026-10-05T10:00:00Z,E-mail,A1,,,4,,\n"
    )
    assert summary.loaded == 2
    assert {d["channel"] for d in db.responses.find()} == {"ivr", "email"}


def rows_text(first: int, last: int) -> str:
    return "".join(
        f"R{i},2026-10-{1 + i % 28:02d}T10:00:00Z,web,A{i % 7},north,billing,{1 + i % 5},,\n"
        for i in range(first, last)
    )


def test_a_reimport_looks_rows_up_in_small_queries(db_server, db):
    """A re-import's cost was the look-up of the rows already present: one `_id $in` of the
    whole batch (50,000 ids), which SecantusDB answers in minutes. It asks in small queries."""
    from pymongo import MongoClient, monitoring

    class Finds(monitoring.CommandListener):
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def started(self, event):
            command = event.command
            if event.command_name == "find" and command.get("find") == "responses":
                ids = (command.get("filter") or {}).get("_id")
                if isinstance(ids, dict) and "$in" in ids:
                    self.sizes.append(len(ids["$in"]))

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    listener = Finds()
    client = MongoClient(db_server.uri, event_listeners=[listener])
    watched = client[db.name]
    first = import_rows(watched, io.StringIO(HEADER + rows_text(0, 300)), TZ, batch=300)
    assert first.loaded == 300
    listener.sizes.clear()
    again = import_rows(watched, io.StringIO(HEADER + rows_text(0, 300)), TZ, batch=300)
    client.close()
    assert again.loaded == 0 and again.already_present == 300
    assert sum(listener.sizes) == 300  # every row looked up once
    assert max(listener.sizes) <= 100


def test_a_file_partly_present_loads_only_its_new_rows(db):
    from survey_core.rollups.rebuild import rebuild

    load(db, rows_text(0, 100))
    both = import_rows(db, io.StringIO(HEADER + rows_text(50, 175)), TZ, batch=60)
    assert (both.loaded, both.already_present) == (75, 50)
    assert sum(all_doc(db, "2026-10")["csat"].values()) == 175
    assert rebuild(db, repair=False)["drift"] == []
