"""Settings from the environment (prefix ``PISHKHAN_``) and an optional ``.env`` file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "PISHKHAN_"
DEFAULT_DATABASE_FILE = "pishkhan.db"
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
BALE_BASE_URL = "https://tapi.bale.ai/bot"


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    """Everything an operator can configure. Secrets never have a default."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATABASE_FILE}"
    telegram_base_url: str = TELEGRAM_BASE_URL
    # An HTTP proxy to reach the Bot API through (where api.telegram.org is filtered).
    telegram_proxy: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Connections Telegram may open to the webhook at once (Telegram allows 1-100).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    listen: str = "127.0.0.1:8080"
    # When set, /metrics answers only a scraper that sends it as a bearer token.
    metrics_token: SecretStr | None = None
    secret_key: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False
    timezone: str = "Asia/Tehran"
    # How long a chat may hold its dialog lock before another worker may take it (seconds).
    chat_lock_timeout: float = Field(default=30.0, gt=0)
    # Updates handled at once by one process (different chats; one chat's are in order).
    max_concurrent_updates: int = Field(default=16, ge=1, le=256)
    # Flood control: more updates than this from one user in the window are dropped, with
    # one polite notice.
    flood_updates: int = Field(default=20, ge=1)
    flood_window_seconds: int = Field(default=30, ge=1)
    # How long a worker may take to deliver the outbox events it claimed before another
    # worker may take them over (it died, or hangs).
    outbox_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Messages a second the bot sends in all: Telegram asks bots to stay under about 30.
    # 0 lifts the limit (a local Bot API server, or a bot Telegram allowed more).
    telegram_max_rate: float = Field(default=30.0, ge=0)

    # Bale (بله) beside Telegram, or alone: its own bot, token and Bot API.
    bale_token: SecretStr | None = None
    bale_base_url: str = BALE_BASE_URL
    # Bale sends no secret header: the secret becomes the last segment of this URL's path.
    bale_webhook_url: str | None = None
    bale_webhook_secret: SecretStr | None = None
    # Bale may answer getUpdates at once, ignoring the long poll: the pause between polls.
    bale_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # Bale publishes no limit; Telegram's figure for a start (0 lifts it).
    bale_max_rate: float = Field(default=20.0, ge=0)
    # How often the outbox (reminders, staff messages, counter webhooks) is drained (seconds).
    delivery_interval: float = Field(default=5.0, gt=0, le=300)
    # An update whose answer Telegram refused for a while (5xx, timeout, flood) or whose
    # handling failed midway is tried again this many times, first after this many seconds
    # and then after twice as long each time; then given up, and the citizen is told.
    update_retries: int = Field(default=5, ge=0, le=20)
    update_retry_seconds: float = Field(default=10.0, gt=0, le=600)

    # Booking rules, all told to the citizen when they apply.
    booking_window_days: int = Field(default=14, ge=1, le=90)
    booking_lead_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    max_active_bookings_per_user: int = Field(default=3, ge=1, le=50)
    max_reschedules: int = Field(default=2, ge=0, le=20)
    cancel_cutoff_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # Unknown tracking codes a user may try in a window before being slowed down.
    track_attempts: int = Field(default=10, ge=1)
    track_window_minutes: int = Field(default=10, ge=1)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the usual sync URLs and pick the async driver the project ships with."""
        value = value.strip()
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://") and not value.startswith("sqlite+"):
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("telegram_base_url", "bale_base_url")
    @classmethod
    def _base_url_form(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "must be an http(s) URL ending in /bot, e.g. http://127.0.0.1:8081/bot"
            )
        return value

    @field_validator("webhook_url", "bale_webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value or None

    @field_validator("webhook_secret", "bale_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _webhook_has_its_bot(self) -> Settings:
        # A webhook URL without its token is a half-done configuration, not a choice.
        for url, token, names in (
            (self.webhook_url, self.bot_token, ("WEBHOOK_URL", "BOT_TOKEN")),
            (self.bale_webhook_url, self.bale_token, ("BALE_WEBHOOK_URL", "BALE_TOKEN")),
        ):
            if url and token is None:
                raise ValueError(f"{ENV_PREFIX}{names[0]} is set but {ENV_PREFIX}{names[1]} is not")
        return self

    @property
    def messengers(self) -> list[str]:
        """The messengers this deployment serves: those whose token is set."""
        return [
            name
            for name, token in (("telegram", self.bot_token), ("bale", self.bale_token))
            if token is not None
        ]

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isascii() or not port.isdigit():
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:8080")
        if not 0 < int(port) < 65536:
            raise ValueError("port must be between 1 and 65535")
        return value

    @property
    def outbox_lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.outbox_lease_seconds)

    @property
    def listen_host(self) -> str:
        return self.listen.rpartition(":")[0]

    @property
    def listen_port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file, or None for PostgreSQL and in-memory SQLite."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            # A check of several variables together has no field: its message names them.
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{ENV_PREFIX}{field.upper()}: {message}" if field else message)
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
