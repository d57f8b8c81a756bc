"""Type names for what the database holds: a stored document, and the database itself."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

Document = dict[str, Any]
# The database as every client here opens it (documents as dicts, tz-aware datetimes).
Db = Database[Document]
