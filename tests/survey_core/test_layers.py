"""The structure drawn from the imports: one way down, nothing climbs back."""

import ast
import re
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
    "folding": {"storage", "surveys", "responses", "rollups", "follow_ups"},
    "reports": {"storage", "surveys", "responses", "rollups", "folding"},
    "questionnaires": {"storage", "surveys", "responses"},
    "complaints": {"storage", "responses"},
    "follow_ups": {"storage", "surveys", "responses", "complaints"},
    "monitoring": {"storage"},
    "training": {"storage", "surveys", "responses", "questionnaires"},
    "privacy": {"storage", "surveys", "responses", "folding", "complaints"},
    "web": {"storage", "surveys", "responses", "questionnaires", "reports"},
}
# What a report may import of the layers that also write: the pure plan and the reads of a
# fold, the rollups' layout and deltas (never `folding.batch`, `rollups.increments`, ...).
REPORT_READS = {
    "survey_core.folding.plan",
    "survey_core.folding.reads",
    "survey_core.rollups.layout",
    "survey_core.rollups.deltas",
}
# pymongo's write operations and collection methods: none may appear in a report module.
WRITES = (
    "insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one",
    "delete_many", "bulk_write", "find_one_and_update", "find_one_and_replace",
    "find_one_and_delete", "UpdateOne", "ReplaceOne", "DeleteOne", "InsertOne",
)  # fmt: skip
LEAVES = {
    "settings", "months", "scoring", "tokens", "messaging", "fields", "sealing", "keys",
    "statuses", "documents",
}  # fmt: skip
SERVICE_PACKAGES = ("ivr_survey", "web_survey", "training_survey", "aggregator")


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def imported_names(path: Path) -> set[str]:
    """Every dotted name imported: `from a.b import c` gives `a.b.c`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
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


def test_every_core_package_has_a_place_in_the_layers():
    packages = {p.parent.name for p in (SERVICES / "survey_core").glob("*/__init__.py")}
    assert packages == set(ALLOWED)


def test_reports_import_nothing_that_writes():
    """A report's trip goes down only through reads: its own modules, the pure fold plan and
    the fold's reads, the rollups' layout and deltas; none of them names a write."""
    seen = set()
    for path in modules("survey_core/reports"):
        seen.add(path)
        for name in imported_names(path):
            parts = name.split(".")
            if parts[0] == "survey_core" and len(parts) > 1 and parts[1] in {"folding", "rollups"}:
                module = ".".join(parts[:3])
                assert module in REPORT_READS, f"{path.name} imports {name}, which writes"
    for module in REPORT_READS:
        seen.add(SERVICES / (module.replace(".", "/") + ".py"))
    for path in seen:
        source = path.read_text()
        for write in WRITES:
            assert write not in source, f"{path.relative_to(SERVICES)} names {write}"


@pytest.mark.parametrize("package", SERVICE_PACKAGES)
def test_services_import_neither_each_other_nor_the_operator_tooling(package):
    for path in modules(package):
        for name in imports(path):
            top = name.split(".")[0]
            others = set(SERVICE_PACKAGES) - {package}
            assert top not in others | {"ops"}, f"{path} imports {name}"


# Modules that use threading's locks and start no thread.
LOCKS_ONLY = {"memory_limits.py"}


def test_no_app_factory_starts_a_thread():
    for package in (*SERVICE_PACKAGES, "survey_core/web"):
        for path in modules(package):
            if path.name in LOCKS_ONLY:
                source = path.read_text()
                assert ".start()" not in source and "Thread(" not in source, path
                continue
            assert "threading" not in imports(path), f"{path} imports threading"


def test_the_memory_rate_limit_storage_starts_no_thread():
    import threading

    from limits.storage import storage_from_string

    from survey_core.web import memory_limits

    before = threading.active_count()
    storage = storage_from_string("memory://")
    assert isinstance(storage, memory_limits.InlineSweepMemoryStorage)
    for i in range(50):
        storage.incr(f"key-{i % 5}", 60)
    assert storage.get("key-1") == 10
    assert threading.active_count() == before


ARCHITECTURE = SERVICES.parent / "docs" / "architecture.md"


def test_the_architecture_page_states_the_layers_the_imports_keep():
    """docs/architecture.md's table of layers is the one this test enforces, and every module
    it names in a trip exists."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (.+) \|$", text, re.M)
    documented = {
        layer: set(re.findall(r"`(\w+)`", allowed)) for layer, allowed in rows if layer != "layer"
    }
    assert documented == ALLOWED
    for path in re.findall(
        r"`((?:survey_core|ivr_survey|web_survey|aggregator|ops)/[\w/]+\.py)", text
    ):
        assert (SERVICES / path).exists() or (SERVICES / "survey_core" / path).exists(), path
