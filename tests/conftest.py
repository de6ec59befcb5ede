"""Shared fixtures: a database per test on SQLite and on PostgreSQL, a wired container, an HTTP client."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.app import create_app
from karaoke.bootstrap import Container, build
from karaoke.settings import Settings
from storage import migrate
from storage.db import create_engine
from storage.tables import metadata
from tests.pg import PgServer, find_server

ADMIN_TOKEN = "test-admin-token"
IN_CI = os.environ.get("CI", "").lower() == "true"

# Locally hypothesis explores fresh examples every run; in CI the same examples run every time, so a
# landing never hinges on luck. Failures found locally are kept as regression tests.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if IN_CI:
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | None]:
    server = find_server()
    yield server
    if server:
        server.stop()


async def run_outside_transactions(url: str, *statements: str) -> None:
    """Run statements a transaction may not hold (CREATE/DROP DATABASE) on the server at ``url``."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _create_database(admin_url: str, name: str) -> str:
    await run_outside_transactions(admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest, pg_server: PgServer | None) -> str:
    """A migrated PostgreSQL database owned by this test session."""
    if pg_server is None:
        message = "no PostgreSQL: set KARAOKE_TEST_DATABASE_URL or install initdb/pg_ctl"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests may not be skipped)")
        pytest.skip(message)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if os.environ.get("KARAOKE_TEST_DATABASE_URL") and not worker:
        url = pg_server.url  # .ci/run made this database for us alone
    else:
        # Run in parallel (pytest-xdist), each worker truncates its own database between tests: one database
        # per worker, named after the given one and made on the same server, dropped when the worker ends.
        base = make_url(pg_server.url).database or "karaoke"
        name = f"{base}_{worker}" if worker else f"karaoke_test_{uuid.uuid4().hex[:8]}"
        url = asyncio.run(_create_database(pg_server.url, name))
        request.addfinalizer(lambda: asyncio.run(run_outside_transactions(
            pg_server.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
    asyncio.run(_migrate(url))
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "karaoke.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


async def _truncate(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


def fresh_database(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> str:
    """The URL of a migrated, empty database of ``kind`` ("sqlite" or "postgresql") for one test."""
    if kind == "sqlite":
        path = tmp_path / "karaoke.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    asyncio.run(_truncate(url))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for one test, on each backend."""
    return fresh_database(request, request.param, tmp_path)


def settings_for(url: str, **overrides: object) -> Settings:
    return Settings(database_url=url, admin_token=ADMIN_TOKEN, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def container(db_url: str) -> AsyncIterator[Container]:
    async with build(settings_for(db_url), upgrade=False) as wired:
        await wired.search.build()
        yield wired


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
