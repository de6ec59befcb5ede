"""Which failures are a database outage (answered 503, logged once) and which are bugs (500, traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import create_engine, is_outage


async def failure_of(engine_url: str, statement: str) -> BaseException:
    engine = create_engine(engine_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    except Exception as error:
        return error
    finally:
        await engine.dispose()
    raise AssertionError("the statement did not fail")


async def test_an_unopenable_sqlite_file_is_an_outage_a_missing_table_is_not(tmp_path: Path) -> None:
    assert is_outage(await failure_of(f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/k.db", "SELECT 1"))
    assert not is_outage(await failure_of(f"sqlite+aiosqlite:///{tmp_path}/k.db", "SELECT * FROM nowhere"))


async def test_a_locked_sqlite_database_is_an_outage(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/k.db"
    holder = create_engine(url)
    try:
        async with holder.connect() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.commit()
            await conn.execute(text("BEGIN EXCLUSIVE"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            engine = create_engine(url)
            try:
                async with engine.connect() as other:
                    await other.execute(text("PRAGMA busy_timeout=50"))
                    with pytest.raises(DBAPIError) as raised:
                        await other.execute(text("INSERT INTO t VALUES (2)"))
            finally:
                await engine.dispose()
            assert is_outage(raised.value)
    finally:
        await holder.dispose()


async def test_a_refused_postgresql_connection_is_an_outage_a_bad_statement_is_not(pg_url: str) -> None:
    assert is_outage(await failure_of("postgresql+asyncpg://postgres@127.0.0.1:1/x", "SELECT 1"))
    assert not is_outage(await failure_of(pg_url, "SELECT * FROM nowhere"))
    assert not is_outage(ValueError("a bug"))
    assert is_outage(ExceptionGroup("gathered", [ValueError("x"), ConnectionResetError("gone")]))
