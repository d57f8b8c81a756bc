"""Signed, expiring survey links whose token says nothing about the person it was sent to.

A token is an itsdangerous signature over [link id, expiry, claims]. itsdangerous signs, it
does not encrypt: anyone holding a token can read its payload, so the payload names no person:
an opaque random id, the expiry, and the claims a submission needs without a database read
(the response's channel and interaction id, the survey's slug, version and language, a training
evaluation's session id). No phone number, e-mail address, name or trainee id is ever in it (a
trainee's interaction id is a keyed hash). The expiry is checked from the token alone, so an
expired link is told apart from an unknown one even while the database is down. One submission
per link is the server's business (see the events' keys), not the token's. Tokens signed before
claims existed ([link id, expiry]) still open: their claims are read from the invitation.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer


class LinkInvalid(Exception):
    """The token was tampered with, truncated, or signed with another key or for another use."""


class LinkExpired(Exception):
    """The token is genuine but its time is up."""

    def __init__(self, link_id: str, expired_at: datetime) -> None:
        super().__init__(f"link expired at {expired_at.isoformat()}")
        self.link_id = link_id
        self.expired_at = expired_at


def new_link_id() -> str:
    """128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def _serializer(secret: str | list[str], purpose: str) -> URLSafeSerializer:
    # A list of secrets (oldest first) lets links signed before a key rotation still open.
    return _serializer_of(secret if isinstance(secret, str) else tuple(secret), purpose)


@functools.lru_cache(maxsize=64)
def _serializer_of(secret: str | tuple[str, ...], purpose: str) -> URLSafeSerializer:
    """Built once per secret and purpose (~20 us each time otherwise)."""
    keys = secret if isinstance(secret, str) else list(secret)
    return URLSafeSerializer(keys, salt=f"voc-link:{purpose}")


# The claims a token may carry, by their short name in the payload.
CLAIMS = {
    "c": "channel",
    "i": "interaction_id",
    "s": "survey",
    "v": "version",
    "l": "language",
    "t": "session_id",
    "r": "trainer_id",
}
_LONG_NAMES = {long: short for short, long in CLAIMS.items()}


@dataclass(frozen=True)
class LinkToken:
    link_id: str
    expires_at: datetime
    claims: dict[str, Any] = field(default_factory=dict)  # by long name; {} in an old token


def sign_link(
    secret: str | list[str],
    purpose: str,
    link_id: str,
    expires_at: datetime,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """The token of link `link_id` for `purpose` ("survey", "training"), valid until
    `expires_at`, carrying `claims` (of the names in CLAIMS; others are left out)."""
    payload: list[Any] = [link_id, int(expires_at.timestamp())]
    short = {_LONG_NAMES[k]: v for k, v in (claims or {}).items() if k in _LONG_NAMES and v}
    if short:
        payload.append(short)
    return str(_serializer(secret, purpose).dumps(payload))


def _claims_of(extra: Any) -> dict[str, Any] | None:
    """The claims of a payload's third item by long name; None if it is not claims of ours."""
    if not isinstance(extra, dict) or not extra or not set(extra) <= set(CLAIMS):
        return None
    for short, value in extra.items():
        wanted = int if short == "v" else str
        if type(value) is not wanted:
            return None
    return {CLAIMS[short]: value for short, value in extra.items()}


def read_token(
    secret: str | list[str], purpose: str, token: str, now: datetime | None = None
) -> LinkToken:
    """A genuine, unexpired token's link id, expiry and claims; LinkInvalid or LinkExpired
    otherwise."""
    try:
        payload = _serializer(secret, purpose).loads(token)
    except BadSignature:
        raise LinkInvalid("not a genuine link") from None
    valid_shape = (
        isinstance(payload, list)
        and len(payload) in (2, 3)
        and isinstance(payload[0], str)
        and type(payload[1]) is int
    )
    claims = _claims_of(payload[2]) if valid_shape and len(payload) == 3 else {}
    if not valid_shape or claims is None:
        raise LinkInvalid("not a link of ours")
    link_id, expiry = payload[0], payload[1]
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if (now or datetime.now(UTC)) >= expires_at:
        raise LinkExpired(link_id, expires_at)
    return LinkToken(link_id, expires_at, claims)


def read_link(
    secret: str | list[str], purpose: str, token: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """(link id, expiry) of a genuine, unexpired token; LinkInvalid or LinkExpired otherwise."""
    found = read_token(secret, purpose, token, now)
    return found.link_id, found.expires_at
