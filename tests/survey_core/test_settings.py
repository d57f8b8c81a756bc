"""Settings come from the environment; production refuses to start without its secrets."""

import pytest

from ivr_survey.settings import IvrSettings
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


@pytest.mark.parametrize("missing", ["PHONE_HASH_KEY", "TWILIO_AUTH_TOKEN", "MONGO_URI"])
def test_production_names_the_missing_secret(missing):
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        IvrSettings.from_env(env)


def test_a_service_needs_only_its_own_secrets():
    reporting = Settings.from_env({"VOC_ENV": "production", "MONGO_URI": "mongodb://db:27017"})
    assert not hasattr(reporting, "twilio_auth_token")
    import aggregator

    production = {"VOC_ENV": "production", "MONGO_URI": "mongodb://db:27017"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):  # its dashboard's session cookie
        aggregator.create_app(production)
    app = aggregator.create_app(production | {"SECRET_KEY": "s"})  # no Twilio, no hash key
    assert app.config["SETTINGS"].env == "production"


def test_default_environment_is_production():
    with pytest.raises(ConfigError, match="VOC_ENV=production"):
        Settings.from_env({})


def test_signature_validation_cannot_be_switched_off_in_production():
    with pytest.raises(ConfigError, match="TWILIO_VALIDATE_SIGNATURES"):
        IvrSettings.from_env(PROD | {"TWILIO_VALIDATE_SIGNATURES": "false"})
    assert not IvrSettings.from_env(
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
