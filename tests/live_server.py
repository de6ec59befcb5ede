"""Running the real service (uvicorn + wired container) in a background thread on a loopback port 0."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from karaoke.bootstrap import Container, background, build
from karaoke.platforms import platforms
from karaoke.settings import Settings


async def _serve(server: uvicorn.Server, container: Container, state: dict[str, Any], ready: threading.Event) -> None:
    serving = asyncio.create_task(server.serve())
    while not (server.started and container.search.ready) and not serving.done():
        await asyncio.sleep(0.01)
    if server.started:
        state["url"] = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    ready.set()
    await serving


@contextmanager
def live_server(
    settings: Settings,
    *,
    prepare: Callable[[Container], Any] | None = None,
    configure: Callable[[FastAPI], None] | None = None,
    port: int = 0,
) -> Iterator[str]:
    """Serve the app for ``settings`` on 127.0.0.1 (a free port unless ``port``); yields its base URL.

    ``prepare`` runs on the wired container first (seeding data); ``configure`` gets the app before it
    serves (e.g. ``app.state``); a fixed ``port`` lets a test restart a server where a browser expects it.
    """
    ready = threading.Event()
    # Set when the test gave up waiting: a service starting late must not go on running behind later tests
    # (its dispatcher would take their replies, its sending turn their turn).
    abandoned = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        async with build(settings, upgrade=False) as container:
            if prepare is not None:
                result = prepare(container)
                if asyncio.iscoroutine(result):
                    await result
            async with platforms(container) as chat:
                app = create_app(container, chat.routers, telegram_username=chat.telegram_username)
                if configure is not None:
                    configure(app)
                config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
                server = uvicorn.Server(config)
                state["server"] = server
                if abandoned.is_set():
                    return
                async with background(container, chat.senders, chat.tasks):
                    await _serve(server, container, state, ready)

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as error:  # surfaced to the test below
            state["error"] = error
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    ready.wait(60)
    if "url" not in state:
        abandoned.set()
        if "server" in state:
            state["server"].should_exit = True
        thread.join(30)
        # Chained, so the report shows where the start failed, not only what (a bare TimeoutError() says little).
        raise RuntimeError(f"server did not start: {state.get('error')!r}") from state.get("error")
    try:
        yield state["url"]
    finally:
        state["server"].should_exit = True
        thread.join(15)


@asynccontextmanager
async def live_service(settings: Settings, *, prepare: Callable[[Container], Any] | None = None,
                       port: int = 0) -> AsyncIterator[str]:
    """``live_server`` for async tests whose own loop hosts stand-in platforms: never blocks that loop."""
    manager = live_server(settings, prepare=prepare, port=port)
    url = await asyncio.to_thread(manager.__enter__)
    try:
        yield url
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)
