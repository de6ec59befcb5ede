"""All configuration, read once from the environment (prefix ``KARAOKE_``) by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "karafun-catalog-2022.csv"


class Settings(BaseSettings):
    """The service's settings. Built in ``karaoke.bootstrap``/``karaoke.cli`` only, never at import time."""

    model_config = SettingsConfigDict(env_prefix="KARAOKE_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./karaoke.db",
        # Fly.io's `fly postgres attach` sets DATABASE_URL; our own name wins when both are set.
        validation_alias=AliasChoices("KARAOKE_DATABASE_URL", "DATABASE_URL"),
    )
    admin_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias=AliasChoices("KARAOKE_PORT", "PORT"))
    demo_catalog: Path = DEMO_CATALOG
    log_level: str = "INFO"
    public_url: str | None = None
    telegram_token: SecretStr | None = None
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Off only for a platform server with higher limits (a self-hosted Bot API) or for benchmarks.
    rate_limits: bool = True
    # Writes are announced to every instance (PostgreSQL LISTEN/NOTIFY; in-process on SQLite); live
    # streams, the search index and the inbox worker look for what they missed only this often.
    safety_net_seconds: float = Field(default=15.0, gt=0)
    # Replies put off by a rate limit or a platform's "retry after" come due with time, not with a write.
    outbox_poll_seconds: float = 0.2
