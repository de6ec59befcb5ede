"""How the service logs: plain lines or JSON lines (``KARAOKE_LOG_FORMAT``), to stderr.

JSON lines carry ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` while an
HTTP request is being answered, and ``exception`` (the traceback) when there is one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from api.request_ids import current_request_id
from karaoke.redact import Redactor, install_redaction

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            # The record's own timestamp, taken by logging itself when the line was written.
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class _AtDebug(logging.Filter):
    """Turns the records with these message formats into DEBUG ones, shown only when DEBUG is on."""

    def __init__(self, *formats: str) -> None:
        super().__init__()
        self.formats = frozenset(formats)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno in (logging.INFO, logging.WARNING) and record.msg in self.formats:
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def quiet_scheduler() -> None:
    """APScheduler's lines about each run of the one-second reminder job go to DEBUG: at INFO they are two
    lines a second saying nothing, and "skipped: maximum number of running instances reached" is a
    warning per tick while the database is slow or down (the outage itself is logged once)."""
    for name, formats in (
        ("apscheduler.executors.default", ('Running job "%s" (scheduled at %s)', 'Job "%s" executed successfully')),
        ("apscheduler.scheduler", ('Execution of job "%s" skipped: maximum number of running instances reached (%d)',)),
    ):
        target = logging.getLogger(name)
        if not any(isinstance(f, _AtDebug) for f in target.filters):
            target.addFilter(_AtDebug(*formats))


def configure_logging(level: str, log_format: str = "text", secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level``, as plain lines or JSON lines; INFO says what happened, not every tick.

    No record carries any of ``secrets`` (or a Bot API token in a URL): they are scrubbed as records are made.
    """
    install_redaction(Redactor(secrets))
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    quiet_scheduler()
