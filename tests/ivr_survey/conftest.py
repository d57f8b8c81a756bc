"""Fixtures for the IVR service: the app and a Twilio-like caller."""

import pytest

import ivr_survey
from ivr_survey.store import breaker, catalog
from survey_core.roller import roll_up
from tests.ivr_survey.twilio_sim import Call


@pytest.fixture
def app(config):
    breaker.reset()
    catalog._latest.clear()
    catalog._versions.clear()
    return ivr_survey.create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def call(client):
    def make(**kw) -> Call:
        return Call(client, **kw)

    return make


def rollup(db, dim="all", value="*"):
    """The rollup document after the roller has folded in every settled response."""
    roll_up(db)
    return db.rollups.find_one({"dim": dim, "value": value}) or {}


def response_of(db, interaction):
    return db.responses.find_one({"channel": "ivr", "interaction_id": interaction})
