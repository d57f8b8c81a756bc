"""Settings come from the environment; production refuses to start without its secrets."""

import pytest

from survey_core.settings import ConfigError, Settings

PROD = {
    "VOC_ENV": "production",
    "MONGO_URI": "mongodb://db:27017",
    "SECRET_KEY": "s",
    "PHONE_HASH_KEY": "p",
    "TWILIO_AUTH_TOKEN": "t",
}


def test_development_has_working_defaults():
    settings = Settings.from_env({"VOC_ENV": "development"})
    assert settings.mongo_uri == "mongodb://127.0.0.1:27017"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.db_timeout_ms <= 3000


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "PHONE_HASH_KEY", "TWILIO_AUTH_TOKEN", "MONGO_URI"]
)
def test_production_names_the_missing_secret(missing):
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(env)


def test_default_environment_is_production():
    with pytest.raises(ConfigError, match="VOC_ENV=production"):
        Settings.from_env({})


def test_signature_validation_cannot_be_switched_off_in_production():
    with pytest.raises(ConfigError, match="TWILIO_VALIDATE_SIGNATURES"):
        Settings.from_env(PROD | {"TWILIO_VALIDATE_SIGNATURES": "false"})
    assert not Settings.from_env(
        {"VOC_ENV": "development", "TWILIO_VALIDATE_SIGNATURES": "false"}
    ).twilio_validate


@pytest.mark.parametrize(
    "name,value",
    [
        ("DB_TIMEOUT_MS", "soon"),
        ("TIMEZONE", "Mars/Base"),
        ("VOC_ENV", "staging"),
        ("TRUSTED_PROXIES", "-1"),
    ],
)
def test_malformed_settings_are_named(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(PROD | {name: value})


def test_overrides_win_over_environment():
    settings = Settings.from_env(PROD, {"MONGO_DB": "other"})
    assert settings.mongo_db == "other"
    assert settings.public_base_url is None
