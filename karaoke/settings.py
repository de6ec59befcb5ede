"""All configuration, read once from the environment (prefix ``KARAOKE_``) by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.chat import parse_allowlist

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "karafun-catalog-2022.csv"


MIN_ADMIN_TOKEN = 16


class Settings(BaseSettings):
    """The service's settings. Built in ``karaoke.bootstrap``/``karaoke.cli`` only, never at import time."""

    model_config = SettingsConfigDict(env_prefix="KARAOKE_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./karaoke.db",
        # Fly.io's `fly postgres attach` sets DATABASE_URL; our own name wins when both are set.
        validation_alias=AliasChoices("KARAOKE_DATABASE_URL", "DATABASE_URL"),
    )
    admin_token: SecretStr | None = None
    # Wrong admin tokens (bearer or dashboard login) allowed per client in a window before it gets 429.
    auth_failure_limit: int = Field(default=10, ge=1)
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)
    # How long a KJ dashboard login lasts.
    admin_session_hours: float = Field(default=12.0, gt=0)
    # Read the client's address from Fly-Client-IP / X-Forwarded-For: only behind a proxy that sets them.
    trust_proxy_headers: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias=AliasChoices("KARAOKE_PORT", "PORT"))
    demo_catalog: Path = DEMO_CATALOG
    log_level: str = "INFO"
    # The bearer token Prometheus sends to GET /metrics; unset, /metrics takes the admin token.
    metrics_token: SecretStr | None = None
    # "json": one JSON object per log line (time, level, logger, message, request_id), for log collectors.
    log_format: Literal["text", "json"] = "text"
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
    # Short answers waiting together for one group room go out as one message (a list, each singer
    # mentioned); off sends one message per reply, as before (the rush benchmark's baseline).
    coalesce_replies: bool = True
    # Answers go where they cost no room message: a Slack command's or button's reply through its
    # response_url (not counted against the rate limits); a Telegram button press's reply as the press's
    # own answer (a toast); and, while a group's slot is busy, an answer only its asker needs to their
    # private chat if they opened one. Off: every answer is a message through the limited API, as before
    # (the rush benchmarks' baseline).
    free_channels: bool = True
    # The event loop `serve` runs on: uvloop (with uvicorn[standard]) or asyncio's own (the pipeline
    # benchmark's baseline; also a fallback should uvloop misbehave somewhere).
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # Writes are announced to every instance (PostgreSQL LISTEN/NOTIFY; in-process on SQLite); live
    # streams, the search index and the inbox worker look for what they missed only this often.
    safety_net_seconds: float = Field(default=15.0, gt=0)
    # Replies put off by a rate limit or a platform's "retry after" come due with time, not with a write.
    outbox_poll_seconds: float = 0.2
    # Days a closed show's transient rows (reminders, buttons, delivery records) are kept; see README "Privacy".
    retention_days: int = Field(default=30, ge=1)
    # How often each instance runs the retention sweep (instances take turns on PostgreSQL).
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    # Who may /open a show: "platform:user_id" entries separated by commas (telegram:555123,slack:U123).
    # Empty, and with no KJ invite ever made (`karaoke kj invite`), anyone may.
    kj_allowlist: str = ""
    # At most this many shows open at once in the whole service, and per person (as one of its KJs).
    max_open_shows: int = Field(default=50, ge=1)
    max_open_shows_per_person: int = Field(default=3, ge=1)

    # Signs the web join page's session cookies; unset, it is derived from the admin token (so every instance
    # sharing that token reads the same cookies, and a new generated token ends every web session).
    web_session_secret: SecretStr | None = None
    # Web singers' writes (join, request, cancel, On my way) per window: per browser, and per address (a venue's
    # Wi-Fi puts every phone behind one address, so it is much wider).
    web_session_limit: int = Field(default=20, ge=1)
    web_address_limit: int = Field(default=300, ge=1)
    web_limit_window_seconds: float = Field(default=60.0, gt=0)
    # How long a web singer's session cookie lasts.
    web_session_hours: float = Field(default=24.0, gt=0)
    # While the KJ has blocked a singer of a show who joined from an address, new web sessions from that address
    # join it one per this many seconds (a cleared cookie is a new person; a venue's Wi-Fi is one address).
    web_rejoin_seconds: int = Field(default=60, ge=1, le=3600)

    # Limits before any work (api.limits, api.connections): a larger body is refused unread (413); headers must
    # arrive within the header timeout; a connection silent that long mid-body or between requests is closed;
    # past the cap a new connection is answered 503 at once.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    idle_timeout_seconds: float = Field(default=15.0, gt=0)
    max_connections: int = Field(default=1000, ge=1)

    @field_validator("kj_allowlist")
    @classmethod
    def _allowlist(cls, value: str) -> str:
        parse_allowlist(value)  # a malformed entry stops the service at start, naming the entry
        return value

    def admin_token_problem(self) -> str | None:
        """Why the configured admin token must not guard a running service, or None when it may."""
        if self.admin_token is None:
            return None  # ``serve`` makes a long random one
        token = self.admin_token.get_secret_value()
        if not token.strip():
            return "KARAOKE_ADMIN_TOKEN is set but blank. Set a random token of at least 16 characters, " \
                   "or unset it to have one made for this run."
        if len(token.strip()) < MIN_ADMIN_TOKEN:
            return f"KARAOKE_ADMIN_TOKEN has {len(token.strip())} characters; it must have at least " \
                   f"{MIN_ADMIN_TOKEN} (try: python -c 'import secrets; print(secrets.token_urlsafe(24))')."
        return None
