"""Outbound calls and texts go through the real twilio REST client."""

from __future__ import annotations

from twilio.rest import Client

from survey_core.settings import TwilioSettings


def twilio_client(settings: TwilioSettings) -> Client:
    """The real twilio REST client; TWILIO_API_BASE_URL points it elsewhere (tests)."""
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url
    return client
