"""The real service as an OS process (``python -m karaoke.cli serve``) and a Telegram stand-in that can hold,
attribute and fail its sends: for durability tests (kill -9, several instances) and benchmarks.

``ServiceProcess`` starts and kills one instance; ``DoorTelegram`` is a ``FakeTelegram`` that listens on one
extra port ("door") per instance, so every Bot API call is attributed to the instance that made it, and that
can hold ``sendMessage`` calls at a gate (they are never answered, and never count as delivered, until the
gate opens; a held call whose client died meanwhile is dropped).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import httpx
from aiohttp import web

from tests.standins import FakeTelegram
from tests.standins.telegram_api import Call

REPO = Path(__file__).resolve().parents[1]

_DOOR: contextvars.ContextVar[str] = contextvars.ContextVar("door", default="main")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _TaggedCalls(list[Call]):
    """``FakeTelegram.calls``, tagging each call with the door (instance) it came through."""

    def __init__(self, doors: dict[int, str]) -> None:
        super().__init__()
        self.doors = doors

    def append(self, call: Call) -> None:
        self.doors[id(call)] = _DOOR.get()
        super().append(call)


class DoorTelegram(FakeTelegram):
    """A ``FakeTelegram`` with one extra listening port per service instance and a gate on ``sendMessage``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.door_of: dict[int, str] = {}
        self.calls = _TaggedCalls(self.door_of)
        self._door_ports: dict[int, str] = {}
        self._open = asyncio.Event()
        self._open.set()
        self.held = 0  # sendMessage calls waiting at the gate right now
        self.held_texts: list[str] = []
        self.abandoned = 0  # held calls whose client was gone when the gate opened (never delivered)

    async def add_door(self, name: str) -> str:
        """Listen on another loopback port for instance ``name``; returns the origin to configure it with."""
        assert self._runner is not None
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self._door_ports[port] = name
        return f"http://127.0.0.1:{port}"

    def hold_sends(self) -> None:
        """From now on ``sendMessage`` calls wait unanswered (and undelivered) until ``release_sends``."""
        self._open.clear()

    def release_sends(self) -> None:
        self._open.set()

    def sent_by(self, door: str) -> list[Call]:
        """Successful ``sendMessage`` calls that came through ``door``."""
        return [c for c in self.calls_to("sendMessage") if c.ok and self.door_of.get(id(c)) == door]

    def delivered(self) -> list[Call]:
        """Every successful ``sendMessage`` call, in arrival order."""
        return [c for c in self.calls_to("sendMessage") if c.ok]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        _DOOR.set(self._door_ports.get(sockname[1], "main") if sockname else "main")
        if request.match_info["method"].lower() == "sendmessage" and not self._open.is_set():
            params = await self._read_params(request)  # aiohttp keeps the body for the real handler
            self.held += 1
            self.held_texts.append(str(params.get("text")))
            self._notify()
            try:
                await self._open.wait()
            finally:
                self.held -= 1
            if request.transport is None or request.transport.is_closing():
                self.abandoned += 1
                return web.Response(status=204)
        return await super()._handle(request)


class ServiceProcess:
    """``python -m karaoke.cli serve`` on a free port; ``kill()`` is a SIGKILL (no shutdown code runs)."""

    def __init__(self, name: str, env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.env = dict(env)
        self.log = log
        self.port = 0
        self._process: asyncio.subprocess.Process | None = None
        self._output: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int | None = None, extra_env: Mapping[str, str] | None = None) -> None:
        self.port = port or free_port()
        # Only what we pass: a KARAOKE_* of the caller's environment must not leak into the instance.
        env = {k: v for k, v in os.environ.items() if not k.startswith("KARAOKE_")}
        env |= self.env | dict(extra_env or {}) | {"PTB_TIMEDELTA": "1"}
        self._output = self.log.open("a")
        self._output.write(f"\n===== {self.name} starting on port {self.port} at {time.time():.3f}\n")
        self._output.flush()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "karaoke.cli", "serve", "--port", str(self.port), env=env,
            stdout=self._output, stderr=self._output, cwd=REPO,
        )
        await self.wait_ready()

    async def wait_ready(self, within: float = 60) -> None:
        """Until /readyz answers 200: schema at head, search index built."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self._process is not None and self._process.returncode is not None:
                    raise RuntimeError(f"{self.name} exited with {self._process.returncode}; see {self.log}")
                try:
                    if (await http.get(f"{self.url}/api/v1/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} never became ready; see {self.log}")

    async def kill(self) -> None:
        """kill -9: the process dies mid-whatever, its leases and in-flight requests are left behind."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        self._close_log()

    async def stop(self) -> None:
        """A graceful stop (SIGTERM), falling back to SIGKILL."""
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 15)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None
