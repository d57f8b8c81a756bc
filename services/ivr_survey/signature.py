"""X-Twilio-Signature checking with the twilio library's RequestValidator."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from twilio.request_validator import RequestValidator, get_signature_algorithm

from survey_core.web.app import public_base
from survey_core.web.errors import APIError

log = logging.getLogger("voc.ivr.signature")
F = TypeVar("F", bound=Callable[..., Any])


def public_url() -> str:
    """The URL Twilio requested: the public base + path + query string."""
    query = request.query_string.decode()
    return public_base() + request.path + (f"?{query}" if query else "")


def twilio_signed(view: F) -> F:
    """403 (and nothing stored) unless the request carries Twilio's valid signature."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = current_app.config["SETTINGS"]
        if settings.twilio_validate:
            signature = request.headers.get("X-Twilio-Signature", "")
            algorithm = get_signature_algorithm(
                request.headers.get("X-Twilio-Webhooks-Signature-Settings")
            )
            validator = RequestValidator(settings.twilio_auth_token)
            if not signature or not validator.validate(
                public_url(), request.form, signature, algorithm
            ):
                log.warning("rejected webhook with %s signature", "a wrong" if signature else "no")
                raise APIError(
                    403, "invalid_signature", "X-Twilio-Signature is missing or does not match."
                )
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
