"""What the HTTP server allows a connection: a header deadline, an idle timeout, a cap, quiet overload logs.

uvicorn closes a keep-alive connection idle between requests, but not one that sends its headers a byte
at a time, nor one whose body stalls, and its ``limit_concurrency`` still accepts every connection (and
logs a line per refused request). ``guarded_protocol`` is uvicorn's httptools protocol with:

* a header deadline: from the first byte of a request (or from the accept, for the first one) the
  headers must be complete within ``header_timeout`` seconds, however slowly they trickle in;
* an idle timeout: a request body that gets no byte for ``idle_timeout`` seconds (while the app waits
  for it) ends the connection, and so does a keep-alive connection idle that long between requests;
* a cap: past ``max_connections`` open connections a new one is answered 503 with the error envelope
  and closed at once, so a flood cannot use up the process's file descriptors.

Each kind of overload (the cap, slow headers, stalled bodies, garbage that is not HTTP, the process out of
file descriptors) logs one warning when it begins and one line with the count once it has been quiet for a
while (``OverloadLog``), never a line per connection.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import resource
from dataclasses import dataclass, field
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.envelope import error_body

logger = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0
DEFAULT_IDLE_TIMEOUT_SECONDS = 15.0
DEFAULT_MAX_CONNECTIONS = 1000
# How many connections the listening socket queues, and so how many asyncio accepts in one go before any
# of them reaches the protocol (and the cap).
ACCEPT_BACKLOG = 128
# How many such bursts can hold descriptors at once beyond the cap. asyncio accepts a burst in one loop pass,
# builds the transports in the next, calls ``connection_made`` (where the cap refuses) in the third and closes
# a refused socket in the fourth; meanwhile the listening socket is read again on every pass. So a client
# faster than the server (a starved server process) can have three bursts in flight before the first closes.
_BURSTS_IN_FLIGHT = 3
# File descriptors kept for everything but client connections: the database pool, the chat platforms'
# HTTP clients, log files, the listening socket.
_RESERVED_DESCRIPTORS = 100
_QUIET_SECONDS = 30.0
# After refusing a body mid-upload: how long, and how much of the rest, is read and dropped before the close.
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 16 * 1024 * 1024


@dataclass
class _Episode:
    count: int
    began: float
    last: float


@dataclass
class OverloadLog:
    """One warning when an overload of a kind begins; one line with how many once it was quiet a while.

    ``quiet_seconds`` without another of the same kind ends an episode. Call from the event loop only.
    """

    quiet_seconds: float = _QUIET_SECONDS
    log: logging.Logger = logger
    _episodes: dict[str, _Episode] = field(default_factory=dict)

    def note(self, kind: str, message: str, *args: object) -> None:
        """One more overload of ``kind``; ``message`` (with ``args``) is logged only for the first of an episode."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        episode = self._episodes.get(kind)
        if episode is not None:
            episode.count += 1
            episode.last = now
            return
        self._episodes[kind] = _Episode(count=1, began=now, last=now)
        self.log.warning(
            "overload (%s): " + message + "; further ones are counted, not logged, until %.0f s pass without one",
            kind, *args, self.quiet_seconds,
        )
        loop.call_later(self.quiet_seconds, self._maybe_over, kind)

    def _maybe_over(self, kind: str) -> None:
        episode = self._episodes[kind]
        loop = asyncio.get_running_loop()
        quiet_for = loop.time() - episode.last
        if quiet_for < self.quiet_seconds:
            loop.call_later(self.quiet_seconds - quiet_for, self._maybe_over, kind)
            return
        del self._episodes[kind]
        self.log.warning(
            "overload (%s) over: %d in %.0f s", kind, episode.count, episode.last - episode.began
        )


@dataclass(frozen=True)
class ConnectionLimits:
    """The limits each connection of one server runs under, and where overloads are counted."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT_SECONDS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT_SECONDS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    overload: OverloadLog = field(default_factory=OverloadLog)


def _refusal() -> bytes:
    body = json.dumps(error_body("unavailable", "The server has too many connections open; try again.")).encode()
    head = (
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        b"retry-after: 1\r\nconnection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    return head + body


_REFUSAL = _refusal()


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol under ``limits`` (set by ``guarded_protocol`` on a subclass)."""

    limits: ClassVar[ConnectionLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = _FoldedWarnings(self.logger, self.limits.overload)  # type: ignore[assignment]
        self._refused = False
        self._awaiting_headers = False
        self._got_bytes = False
        self._header_deadline: asyncio.TimerHandle | None = None
        self._idle_check: asyncio.TimerHandle | None = None
        self._last_byte = 0.0
        self._lingering = False
        self._dropped = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        limits = self.limits
        if len(self.connections) >= limits.max_connections:
            self._refused = True
            self.transport = transport
            limits.overload.note(
                "connection cap", "%d connections open, the cap (KARAOKE_MAX_CONNECTIONS); new ones get 503",
                limits.max_connections,
            )
            transport.write(_REFUSAL)
            transport.close()
            return
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._lingering:
            self._dropped += len(data)
            if self._dropped > _LINGER_BYTES:
                self.transport.close()
            return
        self._got_bytes = True
        self._last_byte = self.loop.time()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._header_deadline, self._idle_check):
            if timer is not None:
                timer.cancel()
        self._header_deadline = self._idle_check = None
        if self._refused:
            return
        super().connection_lost(exc)

    # The header deadline: armed at the accept and at the first byte of each later request.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = _CloseGently(self.transport, self)  # type: ignore[assignment]
        if self._idle_check is None:
            self._idle_check = self.loop.call_later(self.limits.idle_timeout, self._check_idle_body)

    def _close_after_answer(self) -> None:
        """Close once the answer is out; if the client is still sending a body (a refused one), linger first.

        Closing a socket with unread data sends a reset, and a reset makes the client's system drop the
        answer it has not read yet: the client would see "connection reset" instead of our 413. So we
        send a FIN after the answer, read and drop the rest for a moment, and then close.
        """
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            self.transport.close()
            return
        self._lingering = True
        self.flow.resume_reading()
        self.transport.write_eof()
        self.loop.call_later(_LINGER_SECONDS, self.transport.close)

    def _await_headers(self) -> None:
        self._awaiting_headers = True
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.limits.header_timeout, self._headers_late)

    def _headers_late(self) -> None:
        self._header_deadline = None
        if not self._awaiting_headers or self.transport.is_closing():
            return
        # A connection that never sent a byte is just idle (a browser's spare one): closed without a word.
        if self._got_bytes:
            self.limits.overload.note(
                "slow headers", "closing connections whose headers took over %s s (KARAOKE_HEADER_TIMEOUT_SECONDS)",
                self.limits.header_timeout,
            )
        self.transport.close()

    def _check_idle_body(self) -> None:
        self._idle_check = None
        cycle = self.cycle
        if cycle is None or not cycle.more_body or cycle.response_complete or self.transport.is_closing():
            return
        waited = self.loop.time() - self._last_byte
        # The client is not idle while we hold it back: reading paused, or 100-continue not sent yet.
        if self.flow.read_paused or cycle.waiting_for_100_continue or waited < self.limits.idle_timeout:
            self._idle_check = self.loop.call_later(
                max(self.limits.idle_timeout - waited, 0.05), self._check_idle_body
            )
            return
        self.limits.overload.note(
            "stalled bodies", "closing connections whose request body stalled for %s s", self.limits.idle_timeout
        )
        self.transport.close()


class _FoldedWarnings:
    """uvicorn's logger as its protocol sees it: a garbage request (uvicorn warns once per connection) is one
    overload kind; everything else is logged as uvicorn meant."""

    def __init__(self, log: logging.Logger, overload: OverloadLog) -> None:
        self._log = log
        self._overload = overload

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        if msg == "Invalid HTTP request received.":
            self._overload.note("invalid requests", "answering 400 to connections that do not speak HTTP")
            return
        self._log.warning(msg, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


class _CloseGently:
    """The transport as a request's cycle sees it: its ``close`` goes through the protocol's lingering close."""

    def __init__(self, transport: asyncio.Transport, protocol: GuardedHttpProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    def close(self) -> None:
        self._protocol._close_after_answer()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """The protocol class to hand ``uvicorn.Config(http=...)``: uvicorn's, under ``limits``."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})


def usable_connections(wanted: int) -> int:
    """Raise this process's open-file limit to its hard limit; the connection cap that then fits under it.

    A cap above what the descriptors allow would let a flood reach "Too many open files" first. uvicorn must
    listen with ``backlog=ACCEPT_BACKLOG``: asyncio accepts up to that many at once before the cap sees them.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    fits = max(soft - _RESERVED_DESCRIPTORS - _BURSTS_IN_FLIGHT * ACCEPT_BACKLOG, 1)
    if wanted > fits:
        logger.warning("KARAOKE_MAX_CONNECTIONS=%d does not fit the open-file limit %d; the cap is %d",
                       wanted, soft, fits)
    return min(wanted, fits)


_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def quiet_accept_errors(loop: asyncio.AbstractEventLoop, overload: OverloadLog) -> None:
    """Count asyncio's "socket.accept() out of system resource" reports as one overload, not a line each.

    asyncio retries the accept by itself a moment later; everything else goes to the previous handler.
    """
    previous = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in _OUT_OF_RESOURCES and "accept" in context.get("message", ""):
            overload.note("out of file descriptors", "cannot accept connections: %s", error.strerror)
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
