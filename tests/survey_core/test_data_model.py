"""Indexes, surveys, demo data: idempotent, and the unique keys hold."""

import pytest
from pymongo.errors import DuplicateKeyError

from ivr_survey.default_survey import DEFAULT_IVR_SURVEY
from ops.database import init_database
from ops.demo import load_demo
from survey_core.settings import Settings
from survey_core.storage.indexes import INDEXES
from survey_core.surveys.definitions import get_survey, publish_survey
from tests.pipeline import fold, opened


def test_ensure_indexes_is_idempotent(db):
    init_database(db)
    init_database(db)
    for collection, models in INDEXES.items():
        names = set(db[collection].index_information())
        assert {m.document["name"] for m in models} <= names
    assert db.surveys.count_documents({}) == 3  # post-call, post-contact, training-evaluation


def test_one_response_per_channel_and_interaction(db):
    meta = {"channel": "ivr", "interaction_id": "CA1", "month": "2026-10"}
    assert opened(db, meta) == "stored"
    assert opened(db, meta) == "duplicate"
    assert opened(db, dict(meta, channel="web")) == "stored"
    fold(db)
    with pytest.raises(DuplicateKeyError):
        db.responses.insert_one({"_id": "ivr:CA1", "channel": "ivr", "interaction_id": "CA1"})
    assert db.responses.count_documents({}) == 2


def test_seeded_post_call_survey_is_bilingual(db):
    survey = get_survey(db, DEFAULT_IVR_SURVEY)
    assert survey["version"] == 1
    types = [q["type"] for q in survey["questions"]]
    assert types == ["csat", "nps", "reason", "ces", "consent", "recording"]
    for q in survey["questions"]:
        assert set(q["prompt"]) == {"zh-CN", "en-US"}


def test_db_init_gives_a_post_call_survey_stored_without_consent_a_version_that_asks_it(db):
    old = get_survey(db, DEFAULT_IVR_SURVEY)
    legacy = [q for q in old["questions"] if q["type"] != "consent"]
    db.surveys.update_one({"slug": DEFAULT_IVR_SURVEY}, {"$set": {"questions": legacy}})
    init_database(db)
    init_database(db)  # idempotent: one new version
    latest = get_survey(db, DEFAULT_IVR_SURVEY)
    assert latest["version"] == 2
    assert [q["key"] for q in latest["questions"]][-2:] == ["consent", "comment"]
    assert get_survey(db, DEFAULT_IVR_SURVEY, 1)["questions"] == legacy  # calls on it go on
    assert db.surveys.count_documents({}) == 4


def test_publishing_a_changed_survey_makes_a_new_version(db):
    survey = get_survey(db, DEFAULT_IVR_SURVEY)
    assert publish_survey(db, survey)["version"] == 1
    survey["sample_rate"] = 0.5
    assert publish_survey(db, survey)["version"] == 2
    assert get_survey(db, DEFAULT_IVR_SURVEY)["sample_rate"] == 0.5
    assert get_survey(db, DEFAULT_IVR_SURVEY, version=1)["sample_rate"] == 1.0


def test_survey_with_two_csat_questions_is_refused(db):
    from marshmallow import ValidationError

    survey = get_survey(db, DEFAULT_IVR_SURVEY)
    survey["questions"].append(dict(survey["questions"][0], key="csat2"))
    with pytest.raises(ValidationError):
        publish_survey(db, survey)


def test_demo_load_twice_does_not_double(db):
    tz = Settings.from_env({"VOC_ENV": "test"}).tz
    assert load_demo(db, tz, count=20) == 20
    assert load_demo(db, tz, count=20) == 0
    fold(db)
    assert db.responses.count_documents({}) == 20
    months = list(db.rollups.find({"dim": "all"}))
    assert sum(m["funnel"]["complete"] for m in months) == 20
