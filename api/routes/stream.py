"""Live queue changes as Server-Sent Events, for the venue screen and the KJ dashboard.

Every change to a show is announced to every instance (``core.wakeups``; PostgreSQL ``NOTIFY``),
with the new version; all of a show's streams in this process share what was announced
(``LiveVersions``), so open screens cost no database reads, and the version is read again only
as a slow safety net. Clients refetch the queue on each ``queue`` event; the event carries only
the version. sse-starlette does the protocol: its pings keep proxies from closing an idle stream,
and it stops the loop when the browser goes away.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import StreamTiming, StreamTimingDep, VersionsDep
from api.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, not_found
from core.wakeups import LiveVersions

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/shows", tags=["shows"], responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSES})


def queue_event(version: int) -> ServerSentEvent:
    """One SSE ``queue`` event carrying the show's version."""
    return ServerSentEvent(data=json.dumps({"version": version}), event="queue", sep="\n")


async def _events(versions: LiveVersions, show_id: str, timing: StreamTiming) -> AsyncIterator[ServerSentEvent]:
    # The browser waits this long before reconnecting after the stream ends or the server restarts.
    yield ServerSentEvent(retry=timing.retry_millis, sep="\n")
    started = time.monotonic()
    sent: int | None = None
    with versions.watch(show_id) as watch:
        while True:
            try:
                version = await watch.current()
            except Exception:
                # A database hiccup must not end the screen's stream; the next look tries again.
                logger.warning("reading the version of show %s failed", show_id, exc_info=True)
                version = sent
            if version is not None and (sent is None or version > sent):
                yield queue_event(version)
                sent = version
            left = timing.max_seconds - (time.monotonic() - started)
            if left <= 0:
                return
            # Woken by the show's next change, or when the safety net says to read the version again.
            await watch.changed(min(left, versions.max_age))


@router.get(
    "/{show_id}/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Server-Sent Events: `queue` with `{\"version\": N}` now and on every change; "
            "`: keep-alive` comments in between",
            # Before OpenAPI 3.2 (FastAPI writes 3.1) the schema of an event stream describes each event.
            "content": {"text/event-stream": {"schema": {
                "type": "object",
                "properties": {
                    "event": {"type": "string", "enum": ["queue"]},
                    "data": {"type": "string", "description": 'JSON: {"version": N}'},
                    "id": {"type": "string"},
                    "retry": {"type": "integer"},
                },
            }}},
        }
    },
)
async def stream(show_id: uuid.UUID, versions: VersionsDep, timing: StreamTimingDep) -> EventSourceResponse:
    """Follow the show live: an event when it changes, refetch its queue then."""
    if await versions.version(str(show_id)) is None:
        raise not_found("Show")
    return EventSourceResponse(
        _events(versions, str(show_id), timing),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        ping=timing.keep_alive_seconds,
        ping_message_factory=lambda: ServerSentEvent(comment="keep-alive", sep="\n"),
        sep="\n",
    )
