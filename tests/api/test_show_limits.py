"""Open shows are capped through the API too, and listing many shows reads one page of summaries: no show's
event stream is loaded to list it. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from api.app import create_app
from core.rotation import ShowSettings
from core.rotation.events import ShowOpened
from karaoke.bootstrap import Container, build
from tests.api.test_songs_contract import assert_envelope
from tests.conftest import settings_for

SHOWS = "/api/v1/shows"
NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


async def wired(db_url: str, **overrides: object) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    async with build(settings_for(db_url, **overrides), upgrade=False) as container:
        transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield container, client


@pytest.fixture
async def capped(db_url: str) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    async for pair in wired(db_url, max_open_shows=2):
        yield pair


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    async for pair in wired(db_url):
        yield pair


async def test_opening_past_the_global_cap_is_refused_until_a_show_closes(
    capped: tuple[Container, httpx.AsyncClient], admin: dict[str, str]
) -> None:
    _, client = capped
    opened = [await client.post(SHOWS, json={"name": f"Night {n}"}, headers=admin) for n in range(2)]
    assert [r.status_code for r in opened] == [201, 201]
    refused = await client.post(SHOWS, json={"name": "One too many"}, headers=admin)
    error = assert_envelope(refused, 409, "too-many-open-shows")
    assert "2 shows are open" in error["message"]
    assert (await client.get(SHOWS, params={"status": "open"})).json()["total"] == 2
    closed = await client.post(f"{SHOWS}/{opened[0].json()['show_id']}/close", headers=admin)
    assert closed.status_code == 200
    assert (await client.post(SHOWS, json={"name": "Now there's room"}, headers=admin)).status_code == 201


async def test_concurrent_openings_stop_at_the_cap(
    capped: tuple[Container, httpx.AsyncClient], admin: dict[str, str]
) -> None:
    _, client = capped
    answers = await asyncio.gather(*[client.post(SHOWS, json={"name": f"Rush {n}"}, headers=admin) for n in range(6)])
    assert sorted(r.status_code for r in answers) == [201, 201, 409, 409, 409, 409]
    assert (await client.get(SHOWS, params={"status": "open"})).json()["total"] == 2


async def test_listing_a_thousand_shows_reads_one_page_and_no_event_stream(
    service: tuple[Container, httpx.AsyncClient],
) -> None:
    container, client = service
    for n in range(1000):
        show_id = f"00000000-0000-0000-0000-{n:012d}"
        at = NOW + timedelta(minutes=n)
        opened = ShowOpened(show_id, f"Night {n}", f"C{n:04d}", ShowSettings(), at, at)
        await container.shows.append(show_id, 0, [opened], f"open-{n}")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(container.engine.sync_engine, "before_cursor_execute", seen)
    try:
        response = await client.get(SHOWS)
    finally:
        event.remove(container.engine.sync_engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    body = response.json()
    assert (len(body["items"]), body["total"], body["has_next"]) == (50, 1000, True)
    assert body["items"][0]["name"] == "Night 999", "newest first"
    assert not [s for s in statements if "show_events" in s], "listing loaded an event stream"
    assert len(statements) <= 2, statements
    assert len(response.content) < 30_000
