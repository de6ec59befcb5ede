"""Running the real service (uvicorn + wired container) in a background thread on a loopback port 0."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from api.app import create_app
from karaoke.bootstrap import Container, background, build
from karaoke.settings import Settings


@contextmanager
def live_server(settings: Settings, *, prepare: Callable[[Container], Any] | None = None) -> Iterator[str]:
    """Serve the app for ``settings`` on 127.0.0.1:<free port>; yields its base URL until the block ends."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        async with build(settings, upgrade=False) as container:
            if prepare is not None:
                result = prepare(container)
                if asyncio.iscoroutine(result):
                    await result
            config = uvicorn.Config(create_app(container), host="127.0.0.1", port=0, log_level="warning")
            server = uvicorn.Server(config)
            state["server"] = server
            async with background(container):
                serving = asyncio.create_task(server.serve())
                while not (server.started and container.search.ready) and not serving.done():
                    await asyncio.sleep(0.01)
                if server.started:
                    state["url"] = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
                ready.set()
                await serving

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as error:  # surfaced to the test below
            state["error"] = error
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    ready.wait(30)
    if "url" not in state:
        raise RuntimeError(f"server did not start: {state.get('error')!r}")
    try:
        yield state["url"]
    finally:
        state["server"].should_exit = True
        thread.join(15)
