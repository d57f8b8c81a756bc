"""Fixtures for the IVR service: the app and a Twilio-like caller."""

import pytest

import ivr_survey
from survey_core.storage.breaker import breaker
from tests.ivr_survey.twilio_sim import Call
from tests.pipeline import fold, rollup  # noqa: F401 - the tests' helpers


@pytest.fixture
def app(config):
    breaker.reset()
    return ivr_survey.create_app(config)


@pytest.fixture
def call(client):
    def make(**kw) -> Call:
        return Call(client, **kw)

    return make


def response_of(db, interaction):
    """The call's record once the worker has folded every event."""
    fold(db)
    return db.responses.find_one({"_id": f"ivr:{interaction}"})
