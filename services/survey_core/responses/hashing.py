"""Keyed hashes of personal identifiers (phone numbers, trainee ids): never stored in clear."""

from __future__ import annotations

import hashlib
import hmac
import re

E164 = re.compile(r"^\+[1-9]\d{6,14}\Z")  # \Z: "$" admits a final newline


def keyed_hash(value: str, key: str) -> str:
    """HMAC-SHA256 of `value` under `key`, hex."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def caller_hash(number: str, key: str) -> str | None:
    """The keyed hash of a phone number's digits; None for an empty or hidden number."""
    digits = re.sub(r"[^\d+]", "", number or "")
    if len(digits.lstrip("+")) < 5:  # "anonymous", "restricted", short codes
        return None
    return keyed_hash(digits, key)


def trainee_key(session_id: str, trainee_id: str, key: str) -> str:
    """The keyed hash that stands for a trainee within one session."""
    return keyed_hash(f"{session_id}\x1f{trainee_id}", key)


def evaluation_interaction(session_id: str, trainee_id: str, key: str) -> str:
    """The interaction id of a trainee's evaluation of a session (it names no trainee)."""
    return f"{session_id}.{trainee_key(session_id, trainee_id, key)[:32]}"
