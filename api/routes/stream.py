"""Live queue changes as Server-Sent Events, for the venue screen and the KJ dashboard.

The stream polls the show's version (one indexed read) rather than listening in-process, so a
change made through any instance of the service reaches every screen. Clients refetch the queue
on each ``queue`` event; the event carries only the version.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from api.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, not_found
from storage.shows import SqlShowStore

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/shows", tags=["shows"], responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSES})


@dataclass(frozen=True)
class StreamTiming:
    """How often the stream looks for changes, says it is alive, and how long one connection lasts.

    Set ``app.state.stream_timing`` to change them (tests shorten them). A connection ends after
    ``max_seconds`` and the browser's EventSource reconnects by itself, so no stream holds up a
    graceful shutdown for long.
    """

    poll_seconds: float = 0.5
    keep_alive_seconds: float = 15.0
    max_seconds: float = 30.0
    retry_millis: int = 1000


def _timing(request: Request) -> StreamTiming:
    timing = getattr(request.app.state, "stream_timing", None)
    return timing if isinstance(timing, StreamTiming) else StreamTiming()


def _store(request: Request) -> SqlShowStore:
    store: SqlShowStore = request.app.state.container.shows
    return store


def queue_event(version: int) -> str:
    """One SSE ``queue`` event carrying the show's version."""
    return f"event: queue\ndata: {json.dumps({'version': version})}\n\n"


async def _events(request: Request, store: SqlShowStore, show_id: str, timing: StreamTiming) -> AsyncIterator[str]:
    # The browser waits this long before reconnecting after the stream ends or the server restarts.
    yield f"retry: {timing.retry_millis}\n\n"
    started = last_sent = time.monotonic()
    sent: int | None = None
    while not await request.is_disconnected():
        try:
            version = await store.version(show_id)
        except Exception:
            # A database hiccup must not end the screen's stream; the next poll tries again.
            logger.warning("reading the version of show %s failed", show_id, exc_info=True)
            version = sent
        now = time.monotonic()
        if version is not None and version != sent:
            yield queue_event(version)
            sent, last_sent = version, now
        elif now - last_sent >= timing.keep_alive_seconds:
            yield ": keep-alive\n\n"
            last_sent = now
        if now - started >= timing.max_seconds:
            return
        await asyncio.sleep(timing.poll_seconds)


@router.get(
    "/{show_id}/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: `queue` with `{\"version\": N}` now and on every change; "
            "`: keep-alive` comments in between",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def stream(
    show_id: uuid.UUID,
    request: Request,
    store: Annotated[SqlShowStore, Depends(_store)],
    timing: Annotated[StreamTiming, Depends(_timing)],
) -> StreamingResponse:
    """Follow the show live: an event when it changes, refetch its queue then."""
    if await store.version(str(show_id)) is None:
        raise not_found("Show")
    return StreamingResponse(
        _events(request, store, str(show_id), timing),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
