"""The type names of MongoDB documents (plain dicts, pymongo's default) and of the handles."""

from __future__ import annotations

from typing import Any, TypeAlias

from pymongo import MongoClient
from pymongo.database import Database

Document: TypeAlias = dict[str, Any]
Client: TypeAlias = MongoClient[Document]
# The one name for a database handle in type hints.
Db: TypeAlias = Database[Document]
