"""deploy/docker-compose.sharded.yml is valid on its own, runs the same services as
docker-compose.yml against mongos, and its init script shards exactly what SHARD_KEYS says."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from survey_core.storage.sharding import SHARD_KEYS, sharded
from tests.deploy.test_compose import SECRETS, needs_compose

ROOT = Path(__file__).resolve().parents[2]
SHARDED = ROOT / "deploy" / "docker-compose.sharded.yml"
SCRIPT = ROOT / "deploy" / "mongo" / "shard.js"
APPS = ("ivr", "web", "training", "aggregator", "worker")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(SHARDED.read_text())


@pytest.fixture(scope="module")
def single() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def config_check(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker-compose", "-f", str(SHARDED), "config", "-q"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


@needs_compose
def test_the_sharded_compose_file_passes_docker_compose_config(tmp_path):
    result = config_check(tmp_path, SECRETS)
    assert result.returncode == 0, result.stderr


@needs_compose
def test_the_sharded_compose_file_refuses_to_start_without_secrets(tmp_path):
    result = config_check(tmp_path, {})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def _command(service: dict) -> str:
    return " ".join(service.get("command") or [])


def test_a_config_replica_set_two_shard_replica_sets_and_mongos(compose):
    services = compose["services"]
    assert "--configsvr" in services["config"]["command"]
    shards = {n: s for n, s in services.items() if "--shardsvr" in (s.get("command") or [])}
    assert len(shards) == 2
    names = set()
    for service in (services["config"], *shards.values()):
        command = service["command"]
        names.add(command[command.index("--replSet") + 1])
        assert service["image"] == "mongo:8.0" and "healthcheck" in service
        assert "rs.initiate" in " ".join(service["healthcheck"]["test"])
        assert service["volumes"][0].split(":")[0] in compose["volumes"]
    assert len(names) == 3
    assert re.search(r"--configdb cfg/config:27019\b", _command(services["mongos"]))
    listed = services["shard-init"]["environment"]["SHARDS"].split(",")
    assert sorted(listed) == sorted(f"{n}/{n}:27018" for n in shards)


def test_the_init_job_runs_the_script_before_the_schema_and_the_services(compose):
    services = compose["services"]
    init = services["shard-init"]
    mount = next(v for v in init["volumes"] if v.split(":")[1] in _command(init))
    assert (SHARDED.parent / mount.split(":")[0]).resolve() == SCRIPT
    assert "mongodb://mongos:27017" in _command(init)
    shards = {n for n, s in services.items() if "--shardsvr" in (s.get("command") or [])}
    assert set(init["depends_on"]) == {"mongos", *shards}
    assert all(c["condition"] == "service_healthy" for c in init["depends_on"].values())
    needs = services["migrate"]["depends_on"]["shard-init"]["condition"]
    assert needs == "service_completed_successfully"
    assert services["migrate"]["command"] == ["surveyctl", "db", "init"]


def test_the_services_are_docker_compose_ymls_pointed_at_mongos(compose, single):
    for name in (*APPS, "migrate"):
        ours, theirs = compose["services"][name], single["services"][name]
        assert ours["command"] == theirs["command"], name
        assert ours["environment"]["MONGO_URI"] == "mongodb://mongos:27017/", name
        same = {k: v for k, v in ours["environment"].items() if k != "MONGO_URI"}
        assert same == {k: v for k, v in theirs["environment"].items() if k != "MONGO_URI"}
        assert ours.get("volumes") == theirs.get("volumes"), name
    for name in APPS:
        assert compose["services"][name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert compose["services"]["ivr"]["build"] == {
        "context": "..",
        "dockerfile": "deploy/Dockerfile",
    }
    nginx = compose["services"]["proxy"]["volumes"][0].split(":")[0]
    assert (SHARDED.parent / nginx).resolve() == ROOT / "deploy" / "nginx.conf"


def test_the_script_shards_exactly_the_collections_of_shard_keys_on_their_keys():
    script = SCRIPT.read_text()
    table = re.search(r"const SHARD_KEYS = (\{.*?\n\});", script, re.S)
    assert table, "shard.js keeps its keys in `const SHARD_KEYS = {...};`"
    assert json.loads(table.group(1)) == sharded()
    assert script.count("sh.shardCollection(") == 1
    assert re.search(r"for \(const \[name, key\] of Object\.entries\(SHARD_KEYS\)\)", script)
    assert "sh.shardCollection(ns, key)" in script
    unsharded = [name for name, key in SHARD_KEYS.items() if key is None]
    assert not any(f'"{name}"' in script for name in unsharded)
