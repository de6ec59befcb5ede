"""Applying and checking Alembic migrations from inside the service."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_HERE = Path(__file__).resolve().parent


class _SetupLinesAtDebug(logging.Filter):
    """Alembic says at INFO which database dialect it drives and whether its DDL is transactional each time
    a migration context is made: on every readiness check, twice a probe. Those two lines go to DEBUG; what an
    upgrade ran ("Running upgrade a -> b") stays at INFO."""

    _SETUP = frozenset({"Context impl %s.", "Will assume %s DDL."})

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and record.msg in self._SETUP:
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def _quiet_setup_lines() -> None:
    migration_log = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, _SetupLinesAtDebug) for f in migration_log.filters):
        migration_log.addFilter(_SetupLinesAtDebug())


def alembic_config(url: str = "") -> Config:
    """An Alembic config pointing at this package's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(_HERE / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision id: read from the migration files once per process (they are the code this
    process runs; every ``/readyz`` asks, and reading them costs milliseconds of CPU each time)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (head by default); each migration run is logged at INFO."""
    _quiet_setup_lines()
    config = alembic_config()

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, ``None`` when it was never migrated. Logs nothing at INFO."""
    _quiet_setup_lines()
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def is_at_head(engine: AsyncEngine) -> bool:
    """Whether the schema is at the newest migration."""
    return await current_revision(engine) == head_revision()
