"""One SecantusDB server for the session; every test gets its own database, dropped afterwards."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from ops.database import init_database
from survey_core.storage import client as mongo
from tests.dbserver import SecantusServer

# The browser tests' fixtures (`browser`, `new_page`): see tests/browser.py.
pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="session")
def db_server() -> Iterator[SecantusServer]:
    server = SecantusServer().start()
    yield server
    mongo.close_all()
    server.stop()


@pytest.fixture
def db_name(request: pytest.FixtureRequest) -> str:
    safe = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:40]
    return f"t_{safe}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def db(db_server: SecantusServer, db_name: str) -> Iterator[Database]:
    from survey_core.storage.breaker import breaker

    breaker.reset()
    client: MongoClient = mongo.get_client(db_server.uri)
    database = client[db_name]
    init_database(database)
    yield database
    client.drop_database(db_name)


@pytest.fixture
def config(db_server: SecantusServer, db: Database, tmp_path) -> dict[str, object]:
    """Settings overrides that point an app at this test's database."""
    return {
        "VOC_ENV": "test",
        "MONGO_URI": db_server.uri,
        "MONGO_DB": db.name,
        "DB_TIMEOUT_MS": "2500",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "PUBLIC_BASE_URL": "https://voc.example.com",
        "TWILIO_AUTH_TOKEN": "test-auth-token",
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    }


@pytest.fixture
def api_key(db: Database):
    """Make a key of a given scope in this test's database."""
    from survey_core.web.auth import create_key

    def make(scope: str = "read") -> dict[str, str]:
        key, _ = create_key(db, f"test-{scope}", scope)
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def read_key(api_key) -> dict[str, str]:
    return api_key("read")


@pytest.fixture
def writer(api_key) -> dict[str, str]:
    return api_key("write")


@pytest.fixture
def admin(api_key) -> dict[str, str]:
    return api_key("admin")


@pytest.fixture
def client(app):
    """A test client of the `app` fixture of the package under test (its conftest builds it)."""
    return app.test_client()


@pytest.fixture
def own_server() -> Iterator[SecantusServer]:
    """A SecantusDB server of this test's own, for tests that stop and restart it."""
    server = SecantusServer(test_commands=False).start()
    yield server
    server.stop()


@pytest.fixture
def commands(db_server: SecantusServer, db: Database, monkeypatch):
    """Every command the apps send to this test's database, recorded (tests/commands.py)."""
    from tests.commands import watching

    yield from watching(db_server.uri, db.name, monkeypatch)
