"""Settings read from environment variables: what every process needs; services add their own."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from survey_core.sealing import parse_keys

ENVIRONMENTS = ("development", "test", "production")

# Values used only when VOC_ENV is development or test; production must set every secret.
DEV_SECRETS = {
    "SECRET_KEY": "dev-secret-key-not-for-production",
    "PHONE_HASH_KEY": "dev-phone-hash-key-not-for-production",
    "TWILIO_AUTH_TOKEN": "dev-twilio-auth-token",
    "WEBHOOK_SECRET": "whsec_ZGV2LXdlYmhvb2stc2VjcmV0LW5vdC1mb3ItcHJvZA==",
}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


class Source:
    """Typed reads of environment variables, each failing with a message naming the variable."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        env = str(self.get("VOC_ENV", "production"))
        if env not in ENVIRONMENTS:
            raise ConfigError(f"VOC_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
        self.env = env
        self.dev = env != "production"

    def get(self, name: str, default: Any = None) -> Any:
        """The raw value of `name`; an empty variable counts as unset (docker-compose passes
        `${NAME:-}` as an empty string when the operator set nothing)."""
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def text(self, name: str, default: str = "") -> str:
        return str(self.get(name, default))

    def optional(self, name: str) -> str | None:
        return str(self.get(name) or "") or None

    def secret(self, name: str) -> str:
        value = self.get(name) or (DEV_SECRETS.get(name, "") if self.dev else "")
        if not value:
            raise ConfigError(f"{name} is not set: it is required when VOC_ENV=production")
        return str(value)

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        return int(self._bounded(name, default, minimum, int, "an integer"))

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        return self._bounded(name, default, minimum, float, "a number")

    def _bounded(
        self, name: str, default: float, minimum: float, kind: Callable[[Any], float], noun: str
    ) -> float:
        raw = self.get(name, default)
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be {noun}, not {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, not {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = str(self.get(name, default)).strip().lower()
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")


# Evaluations a training session needs before it counts anywhere (training and aggregator).
ANONYMITY_MIN_DEFAULT = 3


@dataclass(frozen=True)
class Settings:
    """What every process needs (database, time zone, logging); see the README's table.

    A service that needs more (secrets included) subclasses this and extends `read`, so the
    aggregator does not need the IVR's Twilio token, and the IVR does not need the link key.
    """

    env: str
    mongo_uri: str
    mongo_db: str
    db_timeout_ms: int
    mongo_retry_writes: bool
    timezone: str
    max_content_length: int
    log_level: str
    spool_dir: str
    public_base_url: str | None
    trusted_proxies: int
    # Keys sealing free text at rest (survey_core.sealing): the first seals, all open.
    field_encryption_keys: tuple[str, ...]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Self:
        """Build settings from `environ` (default os.environ) with `overrides` on top."""
        values: dict[str, Any] = dict(os.environ if environ is None else environ)
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls(**cls.read(Source(values)))

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        """The field values of this class from `src`; subclasses add theirs."""
        mongo_uri = src.text("MONGO_URI") or ("mongodb://127.0.0.1:27017" if src.dev else "")
        if not mongo_uri:
            raise ConfigError("MONGO_URI is not set: it is required when VOC_ENV=production")
        timezone = src.text("TIMEZONE", "Asia/Shanghai")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"TIMEZONE {timezone!r} is not an IANA time zone") from None
        return {
            "env": src.env,
            "mongo_uri": mongo_uri,
            "mongo_db": src.text("MONGO_DB", "voc"),
            "db_timeout_ms": src.integer("DB_TIMEOUT_MS", 2500, minimum=100),
            "mongo_retry_writes": src.boolean("MONGO_RETRY_WRITES", False),
            "timezone": timezone,
            "max_content_length": src.integer("MAX_CONTENT_LENGTH", 64 * 1024, minimum=1024),
            "log_level": src.text("LOG_LEVEL", "INFO").upper(),
            "spool_dir": src.text("SPOOL_DIR", "var/spool"),
            "public_base_url": (src.optional("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            "trusted_proxies": src.integer("TRUSTED_PROXIES", 0),
            "field_encryption_keys": _encryption_keys(src),
        }


def _encryption_keys(src: Source) -> tuple[str, ...]:
    try:
        return parse_keys(src.text("FIELD_ENCRYPTION_KEY"))
    except ValueError as exc:
        raise ConfigError(f"FIELD_ENCRYPTION_KEY: {exc}") from None


@dataclass(frozen=True)
class ComplaintSettings(Settings):
    """How complaints escalate and the loop is closed (the aggregator takes complaints, the
    worker turns unhappy responses into complaints and follow-ups)."""

    growth_min_baseline: int
    alert_webhook_urls: tuple[str, ...]
    reason_categories: dict[str, str]
    follow_up_sla_hours: float
    alert_emails: tuple[str, ...]
    smtp_host: str | None
    smtp_port: int
    smtp_from: str

    @property
    def alert_receivers(self) -> list[str]:
        """Where alerts go: webhook URLs, and e-mail addresses as mailto: URLs."""
        return [*self.alert_webhook_urls, *(f"mailto:{a}" for a in self.alert_emails)]

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        urls = tuple(u.strip() for u in src.text("ALERT_WEBHOOK_URLS").split(",") if u.strip())
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"ALERT_WEBHOOK_URLS: {url!r} is not an http(s) URL")
        mapping: dict[str, str] = {}
        for pair in src.text("REASON_CATEGORIES").split(","):
            if not pair.strip():
                continue
            reason, sep, category = pair.partition("=")
            if not sep or not reason.strip() or not category.strip():
                raise ConfigError(f"REASON_CATEGORIES: {pair!r} is not reason=category")
            mapping[reason.strip()] = category.strip()
        return super().read(src) | {
            "growth_min_baseline": src.integer("GROWTH_MIN_BASELINE", 10, minimum=0),
            "alert_webhook_urls": urls,
            "reason_categories": mapping,
            "follow_up_sla_hours": src.number("FOLLOW_UP_SLA_HOURS", 24.0, minimum=0.1),
            "alert_emails": tuple(
                a.strip() for a in src.text("ALERT_EMAILS").split(",") if "@" in a.strip()
            ),
            "smtp_host": src.optional("SMTP_HOST"),
            "smtp_port": src.integer("SMTP_PORT", 25, minimum=1),
            "smtp_from": src.text("SMTP_FROM", "voc-alerts@localhost"),
        }


@dataclass(frozen=True)
class WorkerSettings(ComplaintSettings):
    """The folding worker's settings (`surveyctl worker`)."""

    fold_lag_seconds: float
    fold_recheck_seconds: float
    fold_batch: int
    worker_interval_seconds: float
    call_timeout_minutes: float
    webhook_secret: str | None  # signs response webhooks; none set: they wait
    retain_recordings_days: int
    retain_comments_days: int
    retain_events_days: int
    retain_contact_hashes_days: int | None  # None: the longest suppression window
    retention_every_hours: float
    # Recordings are deleted at Twilio with these (none: recordings are kept until they are set)
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_api_base_url: str | None

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        secret = src.optional("WEBHOOK_SECRET") or (
            DEV_SECRETS["WEBHOOK_SECRET"] if src.dev else None
        )
        if secret and not secret.startswith("whsec_"):
            raise ConfigError("WEBHOOK_SECRET must be a Standard Webhooks secret: whsec_<base64>")
        return super().read(src) | {
            "webhook_secret": secret,
            "fold_lag_seconds": src.number("FOLD_LAG_SECONDS", 5.0),
            "fold_recheck_seconds": src.number("FOLD_RECHECK_SECONDS", 60.0),
            "fold_batch": src.integer("FOLD_BATCH", 2000, minimum=1),
            "worker_interval_seconds": src.number("WORKER_INTERVAL_SECONDS", 1.0, minimum=0.05),
            "call_timeout_minutes": src.number("IVR_CALL_TIMEOUT_MINUTES", 30.0, minimum=0.0),
            "retain_recordings_days": src.integer("RETAIN_RECORDINGS_DAYS", 90, minimum=1),
            "retain_comments_days": src.integer("RETAIN_COMMENTS_DAYS", 365, minimum=1),
            "retain_events_days": src.integer("RETAIN_EVENTS_DAYS", 30, minimum=1),
            "retain_contact_hashes_days": (
                src.integer("RETAIN_CONTACT_HASHES_DAYS", 1, minimum=1)
                if src.optional("RETAIN_CONTACT_HASHES_DAYS")
                else None
            ),
            "retention_every_hours": src.number("RETENTION_EVERY_HOURS", 24.0, minimum=0.0),
            "twilio_account_sid": src.optional("TWILIO_ACCOUNT_SID"),
            "twilio_auth_token": src.optional("TWILIO_AUTH_TOKEN"),
            "twilio_api_base_url": src.optional("TWILIO_API_BASE_URL"),
        }


@dataclass(frozen=True)
class PrivacySettings(WorkerSettings):
    """Access and erasure requests (`surveyctl privacy export|erase`): the worker's settings and
    the key the subjects' hashes are made with."""

    phone_hash_key: str

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        return super().read(src) | {"phone_hash_key": src.secret("PHONE_HASH_KEY")}


@dataclass(frozen=True)
class TwilioSettings(Settings):
    """A service that talks to Twilio's REST API and keys customers' numbers: the IVR (calls
    back) and the web survey (texts links)."""

    phone_hash_key: str
    twilio_auth_token: str
    twilio_account_sid: str
    twilio_api_base_url: str | None
    twilio_from_number: str

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        return super().read(src) | {
            "phone_hash_key": src.secret("PHONE_HASH_KEY"),
            "twilio_auth_token": src.secret("TWILIO_AUTH_TOKEN"),
            "twilio_account_sid": src.text("TWILIO_ACCOUNT_SID", "AC" + "0" * 32),
            "twilio_api_base_url": src.optional("TWILIO_API_BASE_URL"),
            "twilio_from_number": src.text("TWILIO_FROM_NUMBER"),
        }


CSP_KEYWORDS = ("none", "self")


def frame_ancestors(raw: str) -> str:
    """FRAME_ANCESTORS as CSP wants it: `none` and `self` are keywords only when quoted, and
    a `.env` file or docker-compose may have eaten the quotes (`'none'` arrives as `none`) or
    kept a pair of double quotes; either way the operator meant the keyword."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    sources = [
        f"'{token.lower()}'" if token.lower() in CSP_KEYWORDS else token for token in value.split()
    ]
    return " ".join(sources) or "'none'"


@dataclass(frozen=True)
class LimitedSettings(Settings):
    """A service with per-address request limits: where their counters live (never MongoDB)."""

    rate_limit_storage_uri: str  # a `limits` storage URI: memory:// (per process) or redis://

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        uri = src.text("RATE_LIMIT_STORAGE_URI", "memory://").strip() or "memory://"
        if uri.split(":", 1)[0].endswith(("mongodb", "mongodb+srv")):
            raise ConfigError("RATE_LIMIT_STORAGE_URI: rate-limit counters never live in MongoDB")
        return super().read(src) | {"rate_limit_storage_uri": uri}


@dataclass(frozen=True)
class LinkSettings(LimitedSettings):
    """A service whose questionnaires open from signed links (web survey, training survey)."""

    LINK_TTL_DEFAULT: ClassVar[float] = 72.0  # hours; LINK_TTL_HOURS overrides

    secret_key: str
    phone_hash_key: str
    link_ttl_hours: float
    frame_ancestors: str
    rate_limit_public: str

    @classmethod
    def read(cls, src: Source) -> dict[str, Any]:
        return super().read(src) | {
            "secret_key": src.secret("SECRET_KEY"),
            "phone_hash_key": src.secret("PHONE_HASH_KEY"),
            "link_ttl_hours": src.number("LINK_TTL_HOURS", cls.LINK_TTL_DEFAULT, minimum=0.1),
            "frame_ancestors": frame_ancestors(src.text("FRAME_ANCESTORS", "'none'")),
            "rate_limit_public": src.text("RATE_LIMIT_PUBLIC", "120/minute;2000/hour"),
        }
