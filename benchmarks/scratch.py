"""A throwaway PostgreSQL database for one benchmark run, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from storage.db import create_engine

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _admin(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_postgres(admin_url: str = DEFAULT_ADMIN_URL) -> AsyncIterator[str | None]:
    """Yield the URL of a new, empty database (None, with the reason printed, when there is no server)."""
    name = f"karaoke_bench_{uuid.uuid4().hex[:8]}"
    try:
        await _admin(admin_url, f'CREATE DATABASE "{name}"')
    except Exception as error:  # any failure means: no PostgreSQL here
        print(f"PostgreSQL skipped: {error.__class__.__name__}: {str(error)[:120]}")
        yield None
        return
    try:
        yield create_engine(admin_url).url.set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
