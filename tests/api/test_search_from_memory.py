"""Search over the API on SQLite and PostgreSQL: answering a query sends the database nothing, and what it
shows follows edits and deletions made through another instance."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.catalog import SongDraft, SongPatch
from karaoke.bootstrap import Container, build
from tests.conftest import settings_for

SEARCH = "/api/v1/songs/search"
SONGS = [("Bohemian Rhapsody", "Queen"), ("Sweet Caroline", "Neil Diamond"), ("夜に駆ける", "YOASOBI")]
QUERIES = ["bohemian rapsody", "queen", "sweet caroline by neil diamond", "zzzz no such song", "!!!", "夜に駆ける"]


@contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` sends while the block runs."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def add(container: Container, title: str, artist: str, duration: int) -> str:
    song = await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=duration))
    return song.song_id


async def test_a_search_sends_the_database_no_query(container: Container, client: httpx.AsyncClient) -> None:
    for title, artist in SONGS:
        await add(container, title, artist, 200)
    with statements_on(container.engine) as sent:
        for query in QUERIES:
            response = await client.get(SEARCH, params={"q": query, "limit": 50})
            assert response.status_code == 200, response.text
        first = (await client.get(SEARCH, params={"q": "bohemian rhapsody queen"})).json()["items"][0]
    assert sent == []
    assert (first["title"], first["artist"], first["duration"]) == ("Bohemian Rhapsody", "Queen", 200)
    # The listener does see statements, so an empty list above means none were sent.
    with statements_on(container.engine) as sent:
        assert (await client.get("/api/v1/songs", params={"limit": 1})).status_code == 200
    assert sent


async def test_a_search_needs_no_worker_thread(container: Container, client: httpx.AsyncClient) -> None:
    """A thread hand-off per search cost more than the search itself on a busy machine; it answers in line."""
    await add(container, "Africa", "Toto", 295)
    limiter = anyio.to_thread.current_default_thread_limiter()
    tokens, limiter.total_tokens = limiter.total_tokens, 1
    release = threading.Event()
    busy = asyncio.create_task(anyio.to_thread.run_sync(release.wait))  # the pool's only thread, taken
    try:
        await asyncio.sleep(0.05)
        response = await asyncio.wait_for(client.get(SEARCH, params={"q": "africa toto"}), 5)
        assert response.json()["items"][0]["title"] == "Africa"
    finally:
        release.set()
        await busy
        limiter.total_tokens = tokens


async def test_an_edit_or_deletion_through_another_instance_shows_after_follow(
    db_url: str, container: Container, client: httpx.AsyncClient
) -> None:
    song_id = await add(container, "Africa", "Toto", 295)
    async with build(settings_for(db_url), upgrade=False) as other:
        await other.catalog.change_song(song_id, SongPatch(duration=312, year=1982, language="English"))
        await container.search.follow()
        item = (await client.get(SEARCH, params={"q": "africa toto"})).json()["items"][0]
        assert (item["song_id"], item["duration"], item["year"], item["language"]) == (song_id, 312, 1982, "English")
        await other.catalog.change_song(song_id, SongPatch(title="Rosanna"))
        await container.search.follow()
        item = (await client.get(SEARCH, params={"q": "rosanna toto"})).json()["items"][0]
        assert (item["song_id"], item["title"]) == (song_id, "Rosanna")
        await other.catalog.remove_song(song_id)
        await container.search.follow()
        items = (await client.get(SEARCH, params={"q": "rosanna toto"})).json()["items"]
        assert all(i["song_id"] != song_id for i in items)
