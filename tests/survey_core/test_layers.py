"""The structure drawn from the imports: one way down, nothing climbs back."""

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
# What each layer of survey_core may import from survey_core (besides its own folder and the
# leaf modules: settings, months, scoring).
ALLOWED = {
    "storage": set(),
    "surveys": set(),
    "responses": {"storage", "surveys"},
    "rollups": {"storage", "surveys", "responses"},
    "questionnaires": {"storage", "surveys", "responses"},
    "complaints": {"storage"},
    "web": {"storage", "surveys", "responses", "questionnaires"},
}
LEAVES = {"settings", "months", "scoring", "links", "messaging", "fields", "sealing"}
SERVICE_PACKAGES = ("ivr_survey", "web_survey", "training_survey", "aggregator")


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def modules(package: str) -> list[Path]:
    return sorted((SERVICES / package).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_core_layers_import_only_the_layers_below(layer):
    for path in modules(f"survey_core/{layer}"):
        for name in imports(path):
            parts = name.split(".")
            if parts[0] in (*SERVICE_PACKAGES, "ops"):
                pytest.fail(f"{path.name} imports {name}: the core imports no service")
            if parts[0] == "survey_core" and len(parts) > 1 and parts[1] not in LEAVES:
                assert parts[1] in ALLOWED[layer] | {layer}, f"{path} imports {name}"


@pytest.mark.parametrize("package", SERVICE_PACKAGES)
def test_services_import_neither_each_other_nor_the_operator_tooling(package):
    for path in modules(package):
        for name in imports(path):
            top = name.split(".")[0]
            others = set(SERVICE_PACKAGES) - {package}
            assert top not in others | {"ops"}, f"{path} imports {name}"


def test_no_app_factory_starts_a_thread():
    for package in (*SERVICE_PACKAGES, "survey_core/web"):
        for path in modules(package):
            assert "threading" not in imports(path), f"{path} imports threading"
