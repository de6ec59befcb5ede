"""Serve an ASGI application with uvicorn on 127.0.0.1:<free port> inside the running event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, *, startup_timeout: float = 10.0) -> AsyncIterator[str]:
    """``async with serve_asgi(app) as url:`` — ``url`` is ``http://127.0.0.1:<port>`` until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="auto", ws="none",
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    # Server.serve() swaps in its own SIGINT/SIGTERM handlers while running on the main thread; an embedded
    # test server must leave Ctrl-C to pytest, so neutralise that.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(startup_timeout):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
