"""var/devstack.env: the settings of the stack `make run` started (database, keys), which
surveyctl reads when the environment does not say otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

# Relative to the working directory: `make run` and the README's commands run in the checkout.
DEFAULT_FILE = "var/devstack.env"
FILE_VARIABLE = "SURVEYCTL_ENV_FILE"


def env_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where the running stack's settings are: SURVEYCTL_ENV_FILE, else var/devstack.env."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(FILE_VARIABLE) or DEFAULT_FILE)


def write(path: Path, values: Mapping[str, str]) -> None:
    """Write `values` as NAME=value lines, readable only by the user (it holds API keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by `make run` for the stack it started; removed when it stops.",
        *(f"{name}={value}" for name, value in values.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def read(path: Path) -> dict[str, str]:
    """NAME=value lines (comments and blank lines skipped); {} when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return {}
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def fill_in(environ: MutableMapping[str, str]) -> Path | None:
    """Set, from the running stack's file, each variable `environ` lacks; returns the file
    when one was used. The environment always wins (production sets MONGO_URI itself)."""
    path = env_file(environ)
    values = read(path)
    if not values:
        return None
    for name, value in values.items():
        if not environ.get(name):
            environ[name] = value
    return path
