"""Signed, expiring survey links whose token says nothing about the person it was sent to.

A token is an itsdangerous signature over [link id, expiry]. itsdangerous signs, it does not
encrypt: anyone holding a token can read its payload, so the payload is an opaque random id
(the server looks the rest up) and the expiry. The expiry is checked from the token alone, so an
expired link is told apart from an unknown one even while the database is down. One submission
per link is the server's business (see the events' keys), not the token's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

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
    return URLSafeSerializer(secret, salt=f"voc-link:{purpose}")


def sign_link(secret: str | list[str], purpose: str, link_id: str, expires_at: datetime) -> str:
    """The token of link `link_id` for `purpose` ("survey", "training"), valid until
    `expires_at`."""
    return str(_serializer(secret, purpose).dumps([link_id, int(expires_at.timestamp())]))


def read_link(
    secret: str | list[str], purpose: str, token: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """(link id, expiry) of a genuine, unexpired token; LinkInvalid or LinkExpired otherwise."""
    try:
        payload = _serializer(secret, purpose).loads(token)
    except BadSignature:
        raise LinkInvalid("not a genuine link") from None
    valid_shape = (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], str)
        and type(payload[1]) is int
    )
    if not valid_shape:
        raise LinkInvalid("not a link of ours")
    link_id, expiry = payload
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if (now or datetime.now(UTC)) >= expires_at:
        raise LinkExpired(link_id, expires_at)
    return link_id, expires_at
