"""docker-compose.yml is valid and every service command names an app factory that exists."""

import importlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
needs_compose = pytest.mark.skipif(
    not shutil.which("docker-compose"), reason="docker-compose client not installed"
)
SECRETS = {
    "SECRET_KEY": "a",
    "PHONE_HASH_KEY": "b",
    "TWILIO_AUTH_TOKEN": "c",
    "TWILIO_ACCOUNT_SID": "AC1",
    "PUBLIC_BASE_URL": "https://voc.example.com",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.skipif(
    not shutil.which("docker-compose"), reason="docker-compose client not installed"
)
def test_compose_file_passes_docker_compose_config(tmp_path):
    env = {"PATH": os.environ["PATH"], **SECRETS}
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(
    not shutil.which("docker-compose"), reason="docker-compose client not installed"
)
def test_compose_refuses_to_start_without_secrets(tmp_path):
    env = {"PATH": os.environ["PATH"]}
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_every_service_command_names_an_existing_app_factory(compose):
    factories = {}
    for name, service in compose["services"].items():
        command = " ".join(service.get("command") or [])
        match = re.search(r"(\w+):(\w+)\(\)", command)
        if "gunicorn" in command:
            assert match, f"{name}: no app factory in {command!r}"
            module = importlib.import_module(match.group(1))
            assert callable(getattr(module, match.group(2)))
            factories[name] = match.group(1)
    assert sorted(factories.values()) == [
        "aggregator",
        "ivr_survey",
        "training_survey",
        "web_survey",
    ]


def test_mongo_is_a_healthchecked_single_node_replica_set_on_a_named_volume(compose):
    mongo = compose["services"]["mongo"]
    assert mongo["image"] == "mongo:8.0"
    assert "--replSet" in mongo["command"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])
    volume = mongo["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "replicaSet=rs0" in compose["services"]["ivr"]["environment"]["MONGO_URI"]


def test_services_share_one_image_built_by_the_multistage_dockerfile(compose):
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2 and re.search(r"^USER voc$", dockerfile, re.M)
    for name in ("ivr", "web", "training", "aggregator"):
        assert compose["services"][name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert compose["services"][name]["environment"]["VOC_ENV"] == "production"


def test_gunicorn_timeout_is_under_twilios_webhook_deadline():
    namespace: dict = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["timeout"] < 15


def test_proxy_routes_each_service(compose):
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for upstream in ("ivr:8001", "web:8002", "training:8003", "aggregator:8004"):
        assert upstream in conf
    assert "./deploy/nginx.conf" in compose["services"]["proxy"]["volumes"][0]


def test_a_worker_folds_and_shares_the_ivr_spool(compose):
    worker = compose["services"]["worker"]
    assert worker["command"] == ["surveyctl", "worker"]
    spool = [v for v in compose["services"]["ivr"]["volumes"] if v.endswith("/app/var/spool")]
    assert spool and spool[0] in worker["volumes"]
