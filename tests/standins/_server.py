"""A loopback aiohttp server base shared by the stand-ins (bind 127.0.0.1, port 0)."""

# ruff: noqa: ASYNC109
from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web


@dataclass
class Fault:
    """One planned failure: an error answer or an abruptly closed connection."""

    method: str  # API method name, or "*" for any
    status: int = 0
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    network_error: bool = False
    times: int = 1
    match: Callable[[dict[str, Any]], bool] | None = None  # optional predicate on the call's params


class LoopbackServer:
    """Base class: an aiohttp application served on 127.0.0.1:<free port> as an async context manager.

    Everything runs in the event loop that entered the context; helpers that change state and wake
    waiters may also be called from other threads (they hop onto the server's loop).
    """

    def __init__(self) -> None:
        self.port: int = 0
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id: int | None = None
        self._changed: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------
    def _make_app(self) -> web.Application:  # pragma: no cover - abstract
        raise NotImplementedError

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread_id = threading.get_ident()
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        # handler_cancellation: a long poll whose client went away is cancelled instead of lingering.
        self._runner = web.AppRunner(self._make_app(), handler_cancellation=True, shutdown_timeout=1.0,
                                     access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()
            self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- change notification ---------------------------------------------------------------------
    def _bump(self) -> None:
        assert self._changed is not None
        self._changed.set()
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        """Wake everyone waiting for a state change; callable from any thread."""
        if self._loop is None or self._loop.is_closed() or self._changed is None:
            return
        if threading.get_ident() == self._thread_id:
            self._bump()
        else:
            self._loop.call_soon_threadsafe(self._bump)

    async def _wait_until(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every change); TimeoutError names ``what``.

        Also returns (with the falsy value) once the server is closing, so long polls end promptly.
        """
        assert self._changed is not None and self._closing is not None
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed
            value = predicate()
            if value or self._closing.is_set():
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    # -- faults ----------------------------------------------------------------------------------
    def _add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method not in ("*", method):
                    continue
                if fault.match is not None and not fault.match(params):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @staticmethod
    def _drop_connection(request: web.Request) -> web.StreamResponse:
        """Close the TCP connection without answering: the client sees a disconnect/reset."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=204)  # never reaches the client: the transport is gone
