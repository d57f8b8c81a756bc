"""surveyctl: keys, db init, demo load."""

from click.testing import CliRunner

from ops.cli import main


def run(config, *args):
    env = {k: str(v) for k, v in config.items()}
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def test_keys_create_prints_the_key_once_and_list_never(config, db):
    created = run(config, "keys", "create", "--name", "bi-tool", "--scope", "read")
    assert created.exit_code == 0
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("voc_")
    listed = run(config, "keys", "list")
    assert "bi-tool" in listed.stdout and key not in listed.stdout
    assert run(config, "keys", "revoke", "bi-tool").exit_code == 0
    assert run(config, "keys", "revoke", "bi-tool").exit_code == 1


def test_keys_create_refuses_unknown_scope(config):
    assert run(config, "keys", "create", "--name", "x", "--scope", "root").exit_code == 2


def test_db_init_and_demo_load_are_idempotent(config, db):
    assert run(config, "db", "init").exit_code == 0
    first = run(config, "demo", "load", "--count", "10")
    assert "10 new" in first.stdout
    second = run(config, "demo", "load", "--count", "10")
    assert "0 new" in second.stdout
    assert (
        run(config | {"FOLD_LAG_SECONDS": "0"}, "worker", "--once").exit_code == 0
    )  # what `surveyctl worker` does
    assert db.responses.count_documents({"channel": {"$ne": "training"}}) == 10
    # and the training demo: trainers, sessions, evaluations (invited trainees count as offered)
    assert db.trainers.count_documents({}) == 4 and db.training_sessions.count_documents({}) == 12
    # held in the past, they are closed, so their figures are released (or withheld)
    assert db.training_sessions.count_documents({"closed_at": None}) == 0
    assert "0 new training" in second.stdout


def test_production_without_settings_fails_with_the_variable_name():
    result = CliRunner().invoke(main, ["db", "init"], env={"VOC_ENV": "production"})
    assert result.exit_code == 1
    assert "MONGO_URI" in result.output
