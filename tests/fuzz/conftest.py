"""Shared by the fuzz tests: text a form can carry, and the ERROR records logged meanwhile."""

from __future__ import annotations

import logging

import pytest
from hypothesis import strategies as st

# Text a form can carry (no lone surrogates: they cannot be UTF-8 encoded at all).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


class ErrorRecords(logging.Handler):
    """Keeps every ERROR (and worse) record logged while it is attached to the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged_errors():
    handler = ErrorRecords()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)
