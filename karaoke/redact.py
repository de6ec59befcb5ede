"""Keeping secrets out of the log: every record is scrubbed of the configured secrets as it is made.

Libraries log what they hold: the Bot API transport logs each call's URL at DEBUG (httpx at INFO), and
that URL carries the bot token (``…/bot<token>/sendMessage``); a driver's error may quote the database
URL. Rather than trust each library, ``install_redaction`` wraps the log-record factory, so every record
from every logger (whatever handler it later reaches, uvicorn's own included) has the secrets replaced
before anything formats it: in the message, in each argument, and in the traceback text. Bot API token
paths (``/bot123:abc/``) and Slack tokens (``xoxb-…``, ``xapp-…``) are scrubbed even when they are not the
configured ones.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from karaoke.settings import Settings

REDACTED = "[redacted]"
# Shorter values would be words, not secrets: scrubbing them would garble every line and hide nothing.
MIN_SECRET_LENGTH = 4
_GENERAL = [
    (re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), f"/bot{REDACTED}"),
    (re.compile(r"\b(?:xox[abpersc]|xapp)-[A-Za-z0-9-]+"), REDACTED),
]


def configured_secrets(settings: Settings) -> list[str]:
    """Every secret in ``settings``: platform tokens and secrets, the admin token, the database password."""
    found = [secret.get_secret_value() for secret in (
        settings.telegram_token, settings.telegram_webhook_secret, settings.slack_bot_token,
        settings.slack_signing_secret, settings.slack_app_token, settings.admin_token,
        settings.web_session_secret,
    ) if secret is not None]
    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        password = None
    if password:
        found.append(str(password))
    return found


class Redactor:
    """Replaces secrets in text; more can be added once known (a token generated at start)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Scrub these too (values shorter than ``MIN_SECRET_LENGTH`` are not secrets and are ignored)."""
        self._secrets |= {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so a secret that contains another is replaced whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, value: str) -> str:
        """``value`` with every secret (and every Bot API token path and Slack token) replaced."""
        if self._pattern is not None:
            value = self._pattern.sub(REDACTED, value)
        for pattern, replacement in _GENERAL:
            value = pattern.sub(replacement, value)
        return value

    def record(self, record: logging.LogRecord) -> None:
        """Scrub ``record`` in place: message, arguments (keeping their shape) and traceback."""
        if isinstance(record.msg, str):
            record.msg = self.text(record.msg)
        else:
            rendered = str(record.msg)
            if self.text(rendered) != rendered:
                record.msg = self.text(rendered)
        if isinstance(record.args, Mapping):
            record.args = {key: self._arg(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(self._arg(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.text(record.stack_info)

    def _arg(self, value: Any) -> Any:
        # Numbers hold no secrets and may meet %d; anything else is scrubbed as the text it would print as.
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.text(value)
        try:
            rendered = str(value)
        except Exception:
            return value  # the handler will fail to print it just the same, secret or not
        scrubbed = self.text(rendered)
        return value if scrubbed == rendered else scrubbed


def install_redaction(redactor: Redactor) -> None:
    """Make every log record of this process pass through ``redactor`` as it is created.

    Installing again replaces the redactor rather than stacking factories.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redactor", None) is not None:
        previous.redactor = redactor  # type: ignore[attr-defined]
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        factory.redactor.record(record)  # type: ignore[attr-defined]
        return record

    factory.redactor = redactor  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def redact_also(*secrets: str) -> None:
    """Add secrets learnt after start (a generated admin token) to the installed redactor, if there is one."""
    redactor = getattr(logging.getLogRecordFactory(), "redactor", None)
    if isinstance(redactor, Redactor):
        redactor.add(*secrets)
