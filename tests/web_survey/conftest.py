"""A web survey app on this test's database, and helpers to invite and answer."""

from __future__ import annotations

import re

import pytest

from web_survey import create_app


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def invite(client, writer):
    """POST one invitation; returns the JSON body (url, token, ...)."""

    def make(interaction: str = "T1", **fields) -> dict:
        body = {"channel": "chat", "interaction_id": interaction, "agent": "A1", **fields}
        response = client.post("/api/v1/invitations", json=body, headers=writer)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    return make


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_path(invitation: dict) -> str:
    return f"/s/{invitation['token']}"


GOOD = {"csat": 5, "nps": 9, "ces": 2, "comment": "Quick and kind."}
