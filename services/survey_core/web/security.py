"""What the public HTML pages send and check: security headers, and CSRF without a session.

The form's CSRF token is signed over the page's link id (itsdangerous, a salt of its own), so
it needs no cookie (a questionnaire embedded in another site's frame keeps working where third-
party cookies are blocked); and a POST whose `Origin` or `Sec-Fetch-Site` says it came from
another site is refused outright.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

CSRF_FIELD = "csrf_token"


def page_headers(response: Response, frame_ancestors: str) -> Response:
    """A strict CSP (no inline script, nothing from elsewhere), no sniffing, no referrer (a
    link's token must not leak to another site), framing only by `frame_ancestors`."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {frame_ancestors}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    if frame_ancestors.strip() == "'none'":
        response.headers["X-Frame-Options"] = "DENY"
    return response


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="voc-csrf")


def csrf_token(secret: str, bound_to: str) -> str:
    """The token a form bound to `bound_to` (a link id) carries."""
    return str(_serializer(secret).dumps(bound_to))


def csrf_ok(
    secret: str, bound_to: str, request: Request, max_age: int, public_base: str | None = None
) -> bool:
    """Did this POST come from our own form for `bound_to`, within `max_age` seconds?"""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    ours = {request.host} | ({urlsplit(public_base).netloc} if public_base else set())
    if origin and origin != "null" and urlsplit(origin).netloc not in ours:
        return False
    try:
        signed: object = _serializer(secret).loads(
            request.form.get(CSRF_FIELD, ""), max_age=max_age
        )
    except BadSignature:
        return False
    return signed == bound_to
