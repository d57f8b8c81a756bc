"""Every `sh` block of README.md runs as written against a fresh `make run` stack (the same
`ops.devstack`, on free ports): a new example is covered the moment it is written."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops import stack_env
from ops.devstack import port_free
from tests.dbserver import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(sh|bash|shell)([^\n]*)\n(.*?)^```", re.M | re.S)
VENV = re.compile(r"(?<![\w/.])\.venv/bin/(surveyctl|python)\b")
DEFAULT_PORTS = re.compile(r"(127\.0\.0\.1|localhost):800([1-4])")


def runnable_blocks(text: str) -> list[str]:
    """The shell blocks a reader may paste against `make run` (a block marked `no-run` starts
    a stack itself: `make run`, docker-compose)."""
    return [body for _lang, info, body in BLOCK.findall(text) if "no-run" not in info.split()]


def test_the_readme_has_runnable_examples_and_marks_the_rest():
    blocks = runnable_blocks(README.read_text())
    joined = "\n".join(blocks)
    for example in ("keys create --name bi-tool", "demo call", "/api/v1/responses", "metrics"):
        assert example in joined
    assert "make run" not in joined and "docker-compose up" not in joined


def _port_base() -> int:
    for _ in range(50):
        base = free_port() // 10 * 10
        if base + 4 < 65536 and all(port_free(base + i) for i in range(1, 5)):
            return base
    raise RuntimeError("no four free ports in a row")


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[Path, int, dict[str, str]]]:
    """`make run` (ops.devstack) in a fresh directory: its var/ holds the database and
    var/devstack.env; stopped with Ctrl-C (SIGINT) afterwards."""
    home = tmp_path_factory.mktemp("make-run")
    base = _port_base()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VOC_", "MONGO_")) and key not in ("SURVEYCTL_ENV_FILE",)
    }
    env |= {
        "PYTHONPATH": str(ROOT / "services"),
        "MONGO_PORT": str(free_port()),
        "PORT_BASE": str(base),
    }
    log = (home / "make-run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.devstack"],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output = home / "make-run.log"
    deadline = time.monotonic() + 180
    while "Ctrl-C stops everything" not in output.read_text():
        assert proc.poll() is None, output.read_text()[-3000:]
        assert time.monotonic() < deadline, output.read_text()[-3000:]
        time.sleep(0.5)
    try:
        yield home, base, env
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        log.close()
    assert not (home / stack_env.DEFAULT_FILE).exists()


def test_make_run_prints_three_keys_and_a_test_call(stack):
    home, base, _ = stack
    printed = (home / "make-run.log").read_text()
    keys = re.search(r"export (VOC_READ_KEY=\S+ VOC_WRITE_KEY=\S+ VOC_ADMIN_KEY=\S+)", printed)
    assert keys, printed[-2000:]
    written = stack_env.read(home / stack_env.DEFAULT_FILE)
    for pair in keys.group(1).split():
        name, value = pair.split("=", 1)
        assert written[name] == value and value.startswith("voc_")
    assert ".venv/bin/surveyctl demo call" in printed
    assert written["VOC_IVR_URL"] == f"http://127.0.0.1:{base + 1}"


@pytest.mark.parametrize("index", range(len(runnable_blocks(README.read_text()))))
def test_each_readme_example_runs_as_written(stack, index):
    home, base, env = stack
    block = runnable_blocks(README.read_text())[index]
    # The only substitutions: this checkout's code for `.venv/bin/...` (the project's venv may
    # not be this worktree's), the stack's ports, and the keys `make run` printed.
    venv = {"surveyctl": f"{sys.executable} -m ops.cli", "python": sys.executable}
    script = VENV.sub(lambda m: venv[m.group(1)], block)
    script = DEFAULT_PORTS.sub(lambda m: f"{m.group(1)}:{base + int(m.group(2))}", script)
    keys = {
        k: v for k, v in stack_env.read(home / stack_env.DEFAULT_FILE).items() if k.endswith("_KEY")
    }
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=home,
        env=env | keys,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"{block}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    if "demo call" in block:
        assert "hangs up" in result.stdout and "Goodbye" in result.stdout
    if "/api/v1/responses" in block:
        assert '"csat": 4' in result.stdout.replace('"csat":4', '"csat": 4')
