"""The live queue stream (Server-Sent Events), over real HTTP on SQLite and PostgreSQL.

httpx's ASGI transport buffers a whole response, so an endless stream is read from uvicorn serving
the app on a loopback port inside the test's own event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.deps import StreamTiming
from karaoke.bootstrap import Container
from tests.api.test_songs_contract import assert_envelope

SHOWS = "/api/v1/shows"


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@dataclass
class Sse:
    """One thing read from the stream: an event with its data, or a comment."""

    event: str | None = None
    data: str = ""
    comment: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


class EventReader:
    """Reads the stream's events and comments one at a time, with a deadline."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self, within: float = 2.0) -> Sse:
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Sse:
        item = Sse()
        async for line in self._lines:
            if line.startswith(":"):
                return Sse(comment=line[1:].strip())
            if line == "":
                if item.event is not None or item.data:
                    return item
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                item.event = value
            elif field == "data":
                item.data += value
        raise EOFError("the stream ended")

    async def next_event(self, within: float = 2.0) -> Sse:
        deadline = time.monotonic() + within
        while True:
            item = await self.next(max(deadline - time.monotonic(), 0.001))
            if item.event is not None:
                return item


@pytest.fixture
async def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
async def show(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    """A show with two singers waiting: advancing it changes who sings."""
    opened = (await client.post(SHOWS, json={"name": "Stream Night"}, headers=admin)).json()
    for singer in ("Ana", "Ben"):
        song = (await client.post("/api/v1/songs", json={"title": f"Song of {singer}", "artist": "X"},
                                  headers=admin)).json()
        body = {"singer": {"name": singer}, "song_id": song["song_id"]}
        answer = await client.post(f"{SHOWS}/{opened['show_id']}/requests", json=body, headers=admin)
        assert answer.status_code == 201, answer.text
    state: dict[str, Any] = (await client.get(f"{SHOWS}/{opened['show_id']}")).json()
    return state


@asynccontextmanager
async def following(app: FastAPI, show_id: str) -> AsyncIterator[tuple[httpx.AsyncClient, EventReader]]:
    async with (
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
        http.stream("GET", f"{SHOWS}/{show_id}/stream") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        yield http, EventReader(response)


async def test_the_first_event_carries_the_show_version(app: FastAPI, show: dict[str, Any]) -> None:
    async with following(app, show["show_id"]) as (_, events):
        first = await events.next_event(within=1.0)
        assert first.event == "queue"
        assert first.json() == {"version": show["version"]}


async def test_an_advance_through_the_api_reaches_the_stream_within_a_second(
    app: FastAPI, show: dict[str, Any], admin: dict[str, str]
) -> None:
    async with following(app, show["show_id"]) as (http, events):
        await events.next_event()
        answer = await http.post(f"{SHOWS}/{show['show_id']}/advance", headers=admin)
        assert answer.status_code == 200, answer.text
        changed = await events.next_event(within=1.0)
        assert changed.event == "queue"
        assert changed.json() == {"version": answer.json()["version"]}
        assert changed.json()["version"] > show["version"]


async def test_a_change_made_elsewhere_reaches_the_stream_too(
    app: FastAPI, show: dict[str, Any], client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    # ``client`` is a second app over the same database: the stream sees what another instance wrote.
    async with following(app, show["show_id"]) as (_, events):
        await events.next_event()
        answer = await client.post(f"{SHOWS}/{show['show_id']}/skip", headers=admin)
        assert answer.status_code == 200, answer.text
        assert (await events.next_event(within=1.0)).json() == {"version": answer.json()["version"]}


async def test_keep_alive_comments_come_while_nothing_changes(app: FastAPI, show: dict[str, Any]) -> None:
    app.state.stream_timing = StreamTiming(keep_alive_seconds=0.2)
    async with following(app, show["show_id"]) as (_, events):
        await events.next_event()
        seen = [await events.next(within=1.0) for _ in range(2)]
        assert [item.comment for item in seen] == ["keep-alive", "keep-alive"]


async def test_a_stream_ends_after_its_lifetime_and_tells_the_browser_when_to_come_back(
    app: FastAPI, show: dict[str, Any]
) -> None:
    app.state.stream_timing = StreamTiming(max_seconds=0.3, retry_millis=750)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=5) as http:
        answer = await http.get(f"{SHOWS}/{show['show_id']}/stream")
        assert answer.text.startswith("retry: 750\n\n")
        assert f'data: {{"version": {show["version"]}}}' in answer.text


async def test_an_unknown_show_answers_the_404_envelope(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"{SHOWS}/3f1c1f1e-0d0a-4c1b-9a8e-0c4f5b6a7d8e/stream")
    assert_envelope(answer, 404, "not-found")
    assert_envelope(await client.get(f"{SHOWS}/not-a-uuid/stream"), 400, "validation-error")
