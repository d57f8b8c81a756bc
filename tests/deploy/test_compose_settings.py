"""Every setting the code reads reaches every container that reads it, as docker-compose
resolves the files, and `.env.example`'s values survive docker-compose's quoting."""

import importlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from survey_core.settings import Settings, Source, WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = ("docker-compose.yml", "deploy/docker-compose.sharded.yml")
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
# What compose sets itself, whatever the operator's environment says (and why).
FIXED = {
    "VOC_ENV": "production",  # compose is the production shape
    "MONGO_URI": "mongodb://",  # the compose file's own database
    "SPOOL_DIR": "/app/var/spool",  # where the shared spool volume is mounted
    "BIND": "0.0.0.0:",  # each service's port, which nginx routes to
    "FORWARDED_ALLOW_IPS": "*",  # nginx, on the compose network, is the only client
}
# Per-service names in .env for one setting that differs between services.
RENAMED = {"LINK_TTL_HOURS": ("WEB_LINK_TTL_HOURS", "TRAINING_LINK_TTL_HOURS")}
# gunicorn.conf.py derives it from METRICS_DIR; an empty one would switch prometheus-client
# into multiprocess mode everywhere, so compose must not pass it.
DERIVED = {"PROMETHEUS_MULTIPROC_DIR"}


class Recorder(dict):
    """A mapping that answers nothing and remembers every name asked for."""

    def __init__(self, env: str) -> None:
        super().__init__()
        self.env = env
        self.asked: set[str] = set()

    def get(self, name: str, default: Any = None) -> Any:
        self.asked.add(name)
        return self.env if name == "VOC_ENV" else default


def read_by(kind: type[Settings]) -> set[str]:
    """Every environment variable `kind` reads, found by running its `read`."""
    recorder = Recorder("development")
    kind.read(Source(recorder))
    return recorder.asked


def read_by_gunicorn() -> set[str]:
    text = GUNICORN_CONF.read_text()
    names = set(re.findall(r'(?:_env|os\.environ\.get)\("(\w+)"', text))
    return names - DERIVED


def settings_class(command: list[str]) -> type[Settings]:
    """The settings class of the process a compose command starts."""
    line = " ".join(command)
    factory = re.search(r"(\w+):create_app\(\)", line)
    if factory:
        module = importlib.import_module(f"{factory.group(1)}.settings")
        own = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Settings)
            and value.__module__ == module.__name__
        ]
        assert len(own) == 1, f"{module.__name__}: {own}"
        return own[0]
    assert command[0] == "surveyctl", line
    return WorkerSettings if command[1] == "worker" else Settings


def our_containers(compose: dict) -> dict[str, dict]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == "voice-of-customer:latest"
    }


@pytest.fixture(params=COMPOSE_FILES)
def compose(request) -> dict:
    return yaml.safe_load((ROOT / request.param).read_text())


def test_the_recorder_finds_every_setting_of_a_class():
    assert {"MONGO_URI", "TIMEZONE", "LOG_LEVEL"} <= read_by(Settings)
    assert {"FOLD_BATCH", "REASON_CATEGORIES", "SMTP_HOST"} <= read_by(WorkerSettings)
    assert {"LIMIT_REQUEST_LINE", "GUNICORN_TIMEOUT", "METRICS_DIR"} <= read_by_gunicorn()


def test_every_setting_read_reaches_the_container_that_reads_it(compose):
    containers = our_containers(compose)
    assert {"ivr", "web", "training", "aggregator", "worker", "migrate"} <= set(containers)
    for name, service in containers.items():
        needed = read_by(settings_class(service["command"]))
        if service["command"][0] == "gunicorn":
            needed |= read_by_gunicorn()
        env = service.get("environment") or {}
        missing = sorted(needed - set(env))
        assert not missing, f"{name} reads {missing} but compose does not pass them"


def test_every_setting_passed_comes_from_the_operators_environment(compose):
    for name, service in our_containers(compose).items():
        for variable, value in (service.get("environment") or {}).items():
            value = str(value)
            if variable in FIXED:
                assert value.startswith(FIXED[variable]), (name, variable, value)
                continue
            sources = RENAMED.get(variable, (variable,))
            assert any(value.startswith("${" + source) for source in sources), (
                f"{name}: {variable}={value!r} ignores what the operator sets"
            )


def test_env_example_names_only_settings_that_something_reads():
    read = set().union(
        read_by_gunicorn(),
        *(read_by(kind) for kind in _all_settings_classes()),
        *RENAMED.values(),
        {"HTTP_PORT"},  # the proxy's published port (compose itself)
    )
    names = re.findall(r"^(\w+)=", (ROOT / ".env.example").read_text(), re.M)
    assert names and not sorted(set(names) - read)


def _all_settings_classes() -> list[type[Settings]]:
    classes = [Settings, WorkerSettings]
    for package in ("ivr_survey", "web_survey", "training_survey", "aggregator"):
        classes.append(settings_class(["gunicorn", f"{package}:create_app()"]))
    return classes


needs_compose = pytest.mark.skipif(
    not shutil.which("docker-compose"), reason="docker-compose client not installed"
)


@needs_compose
@pytest.mark.parametrize("path", COMPOSE_FILES)
def test_env_example_through_docker_compose_gives_working_settings(path, tmp_path):
    """What the containers get from `.env.example` as docker-compose resolves it: each
    container's settings build in production, and the questionnaire pages keep `'none'`."""
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / path), "--env-file", str(env_file), "config"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    for name, service in our_containers(resolved).items():
        environment = {k: "" if v is None else str(v) for k, v in service["environment"].items()}
        kind = settings_class(service["command"])
        settings = kind.from_env(environment)
        assert settings.env == "production"
        if hasattr(settings, "frame_ancestors"):
            assert settings.frame_ancestors == "'none'", name
            assert environment["FRAME_ANCESTORS"] == "'none'", name
        if name == "training":
            assert settings.link_ttl_hours == 168
        if hasattr(settings, "rate_limit_storage_uri"):
            assert settings.rate_limit_storage_uri == "redis://redis:6379", name
        if name == "web":
            assert settings.link_ttl_hours == 72
            assert settings.rate_limit_public == "120/minute;2000/hour"


def test_the_rate_limit_counters_live_in_the_official_redis_image(compose):
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:") and "build" not in redis
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name, service in our_containers(compose).items():
        uri = service["environment"]["RATE_LIMIT_STORAGE_URI"]
        assert uri == "${RATE_LIMIT_STORAGE_URI:-redis://redis:6379}", name
        if service["command"][0] == "gunicorn":  # started, not healthy: limits lapse, not calls
            assert service["depends_on"]["redis"] == {"condition": "service_started"}, name


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        ("'none'", "'none'"),
        ("none", "'none'"),  # docker-compose ate the quotes
        ("\"'none'\"", "'none'"),  # an env_file kept the double quotes
        ("self https://help.example.com", "'self' https://help.example.com"),
        ("https://help.example.com", "https://help.example.com"),
        ("", "'none'"),
    ],
)
def test_frame_ancestors_keywords_keep_their_quotes(raw, sent):
    from web_survey.settings import WebSettings

    settings = WebSettings.from_env({"VOC_ENV": "test", "FRAME_ANCESTORS": raw})
    assert settings.frame_ancestors == sent


def test_an_empty_variable_means_the_default():
    settings = WorkerSettings.from_env(
        {"VOC_ENV": "test", "LOG_LEVEL": "", "FOLD_BATCH": "", "MONGO_RETRY_WRITES": ""}
    )
    assert (settings.log_level, settings.fold_batch, settings.mongo_retry_writes) == (
        "INFO",
        2000,
        False,
    )
