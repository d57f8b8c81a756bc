"""Settings read from environment variables (overridable per app for tests)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENVIRONMENTS = ("development", "test", "production")

# Values used only when VOC_ENV is development or test; production must set every secret.
_DEV_SECRETS = {
    "SECRET_KEY": "dev-secret-key-not-for-production",
    "PHONE_HASH_KEY": "dev-phone-hash-key-not-for-production",
    "TWILIO_AUTH_TOKEN": "dev-twilio-auth-token",
}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Every setting of every service; see the README's settings table."""

    env: str
    mongo_uri: str
    mongo_db: str
    db_timeout_ms: int
    secret_key: str
    phone_hash_key: str
    twilio_auth_token: str
    twilio_account_sid: str
    twilio_api_base_url: str | None
    twilio_validate: bool
    twilio_from_number: str
    public_base_url: str | None
    trusted_proxies: int
    timezone: str
    max_content_length: int
    log_level: str
    spool_dir: str
    link_ttl_hours: int
    min_trainer_sample: int

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Build settings from `environ` (default os.environ) with `overrides` on top."""
        src: dict[str, Any] = dict(os.environ if environ is None else environ)
        src.update({k: v for k, v in (overrides or {}).items() if v is not None})
        env = str(src.get("VOC_ENV", "production"))
        if env not in ENVIRONMENTS:
            raise ConfigError(f"VOC_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
        dev = env != "production"

        def secret(name: str) -> str:
            value = src.get(name) or (_DEV_SECRETS[name] if dev else "")
            if not value:
                raise ConfigError(f"{name} is not set: it is required when VOC_ENV=production")
            return str(value)

        def integer(name: str, default: int, minimum: int = 0) -> int:
            raw = src.get(name, default)
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise ConfigError(f"{name} must be an integer, not {raw!r}") from None
            if value < minimum:
                raise ConfigError(f"{name} must be at least {minimum}, not {value}")
            return value

        def boolean(name: str, default: bool) -> bool:
            raw = str(src.get(name, default)).strip().lower()
            if raw in ("1", "true", "yes", "on"):
                return True
            if raw in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{name} must be true or false, not {raw!r}")

        mongo_uri = src.get("MONGO_URI") or ("mongodb://127.0.0.1:27017" if dev else "")
        if not mongo_uri:
            raise ConfigError("MONGO_URI is not set: it is required when VOC_ENV=production")
        timezone = str(src.get("TIMEZONE", "Asia/Shanghai"))
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"TIMEZONE {timezone!r} is not an IANA time zone") from None
        validate = boolean("TWILIO_VALIDATE_SIGNATURES", True)
        if not validate and not dev:
            raise ConfigError("TWILIO_VALIDATE_SIGNATURES=false is refused when VOC_ENV=production")
        public_base_url = src.get("PUBLIC_BASE_URL") or None
        return cls(
            env=env,
            mongo_uri=str(mongo_uri),
            mongo_db=str(src.get("MONGO_DB", "voc")),
            db_timeout_ms=integer("DB_TIMEOUT_MS", 2500, minimum=100),
            secret_key=secret("SECRET_KEY"),
            phone_hash_key=secret("PHONE_HASH_KEY"),
            twilio_auth_token=secret("TWILIO_AUTH_TOKEN"),
            twilio_account_sid=str(src.get("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)),
            twilio_api_base_url=src.get("TWILIO_API_BASE_URL") or None,
            twilio_validate=validate,
            twilio_from_number=str(src.get("TWILIO_FROM_NUMBER", "")),
            public_base_url=public_base_url.rstrip("/") if public_base_url else None,
            trusted_proxies=integer("TRUSTED_PROXIES", 0),
            timezone=timezone,
            max_content_length=integer("MAX_CONTENT_LENGTH", 64 * 1024, minimum=1024),
            log_level=str(src.get("LOG_LEVEL", "INFO")).upper(),
            spool_dir=str(src.get("SPOOL_DIR", "var/spool")),
            link_ttl_hours=integer("LINK_TTL_HOURS", 72, minimum=1),
            min_trainer_sample=integer("MIN_TRAINER_SAMPLE", 5, minimum=1),
        )
