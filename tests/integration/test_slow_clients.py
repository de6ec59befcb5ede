"""Slow and greedy clients against the real ``karaoke serve`` on loopback: headers trickled a byte at a time
are cut off at the header deadline, stalled bodies and idle connections at the idle timeout, a flood of
connections meets the cap (503, not "Too many open files"), and each kind of overload logs one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.connections import OverloadLog, quiet_accept_errors
from tests.raw_http import Served, read_status, served

SLOW_HEAD = b"GET /api/v1/healthz HTTP/1.1\r\nHost: karaoke\r\n"


@contextlib.asynccontextmanager
async def service(
    tmp_path: Path, sqlite_template: Path, *, open_files: int | None = None, **settings: str
) -> AsyncIterator[Served]:
    database = tmp_path / "karaoke.db"
    database.write_bytes(sqlite_template.read_bytes())
    env = {f"KARAOKE_{name.upper()}": value for name, value in settings.items()}
    async with served(f"sqlite+aiosqlite:///{database}", tmp_path / "serve.log", env, open_files=open_files) as s:
        yield s


class Trickler:
    """A client sending its request headers one byte every ``every`` seconds, never finishing them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, every: float, opened: float) -> None:
        self.reader, self.writer = reader, writer
        self.opened = opened  # before the connect: the server's clock for it cannot have started earlier
        self.closed_at: float | None = None
        self.answer = b""
        self._dripping = asyncio.create_task(self._drip(every))
        self._watching = asyncio.create_task(self._watch())

    @classmethod
    async def open(cls, port: int, every: float = 0.2) -> Trickler:
        opened = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(SLOW_HEAD)
        return cls(reader, writer, every, opened)

    async def _drip(self, every: float) -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                await asyncio.sleep(every)
                self.writer.write(b"X")
                await self.writer.drain()

    async def _watch(self) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await self.reader.read(65536):
                self.answer += chunk
        self.closed_at = time.monotonic()
        self._dripping.cancel()

    @property
    def lasted(self) -> float | None:
        return None if self.closed_at is None else self.closed_at - self.opened

    async def close(self) -> None:
        self._dripping.cancel()
        self._watching.cancel()
        await asyncio.gather(self._dripping, self._watching, return_exceptions=True)
        self.writer.close()


async def _all_closed(clients: list[Trickler], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(c.closed_at is not None for c in clients):
            return True
        await asyncio.sleep(0.05)
    return False


async def _answers_normally(url: str, within: float) -> float:
    """Seconds until a plain request is answered 200 (trying every 0.1 s); fails after ``within``."""
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while time.monotonic() - began < within:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/api/v1/healthz")).status_code == 200:
                    return time.monotonic() - began
            await asyncio.sleep(0.1)
    pytest.fail(f"no normal answer within {within} s")


async def test_headers_trickled_a_byte_at_a_time_are_cut_off_at_the_header_deadline(
    tmp_path: Path, sqlite_template: Path
) -> None:
    async with service(tmp_path, sqlite_template, header_timeout_seconds="1") as s:
        clients = [await Trickler.open(s.port) for _ in range(60)]
        try:
            assert await _all_closed(clients, within=4), "slow-header connections were never closed"
            lasted = sorted(c.lasted or 0 for c in clients)
            assert lasted[0] >= 0.9 and lasted[-1] <= 3, lasted
            assert all(c.answer == b"" for c in clients)
            await _answers_normally(s.url, within=2)
        finally:
            for c in clients:
                await c.close()
        assert len(s.log_lines("overload (slow headers)")) == 1


async def test_a_stalled_body_and_an_idle_keep_alive_connection_are_closed(
    tmp_path: Path, sqlite_template: Path
) -> None:
    async with service(tmp_path, sqlite_template, idle_timeout_seconds="1") as s:
        stalled_reader, stalled = await asyncio.open_connection("127.0.0.1", s.port)
        stalled.write(b"POST /api/v1/shows HTTP/1.1\r\nHost: karaoke\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"name\":")
        idle_reader, idle = await asyncio.open_connection("127.0.0.1", s.port)
        idle.write(b"GET /api/v1/healthz HTTP/1.1\r\nHost: karaoke\r\n\r\n")
        status, _ = await read_status(idle_reader)
        assert status == 200
        began = time.monotonic()
        for reader in (stalled_reader, idle_reader):
            with contextlib.suppress(ConnectionError):
                assert await asyncio.wait_for(reader.read(), 3) == b""
        assert time.monotonic() - began < 3
        stalled.close()
        idle.close()
        assert len(s.log_lines("overload (stalled bodies)")) == 1


async def test_more_connections_than_the_cap_meet_503_and_the_service_answers_once_they_time_out(
    tmp_path: Path, sqlite_template: Path
) -> None:
    async with service(tmp_path, sqlite_template, max_connections="40", header_timeout_seconds="1.5") as s:
        clients = [await Trickler.open(s.port) for _ in range(100)]
        try:
            await asyncio.sleep(0.5)
            refused = [c for c in clients if c.closed_at is not None]
            held = [c for c in clients if c.closed_at is None]
            assert len(held) == 40 and len(refused) == 60
            assert sum(c.answer.startswith(b"HTTP/1.1 503") and b'"unavailable"' in c.answer for c in refused) >= 50
            waited = await _answers_normally(s.url, within=4)
            assert waited < 3
        finally:
            for c in clients:
                await c.close()
        assert len(s.log_lines("overload (connection cap)")) == 1
        assert s.log_lines("Exceeded concurrency limit") == []


async def test_a_flood_past_the_open_file_limit_never_runs_out_of_descriptors(
    tmp_path: Path, sqlite_template: Path
) -> None:
    # 600 descriptors in all, a cap of 1000 asked for: the cap shrinks to fit (116, keeping room for three
    # accept bursts in flight), the flood meets it, not EMFILE.
    async with service(tmp_path, sqlite_template, open_files=600, header_timeout_seconds="1.5",
                       max_connections="1000") as s:
        clients = [await Trickler.open(s.port) for _ in range(700)]
        try:
            await asyncio.sleep(0.5)
            assert s.open_descriptors() < 600
            await _answers_normally(s.url, within=4)
        finally:
            for c in clients:
                await c.close()
        assert s.log_lines("Too many open files") == []
        assert len(s.log_lines("does not fit the open-file limit")) == 1
        assert len(s.log_lines("overload (connection cap)")) == 1


async def test_garbage_instead_of_http_is_answered_400_and_logged_once(tmp_path: Path, sqlite_template: Path) -> None:
    async with service(tmp_path, sqlite_template) as s:
        for _ in range(50):
            reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
            writer.write(b"\x16\x03\x01 not http at all\r\n\r\n")
            status, _ = await read_status(reader)
            assert status == 400
            writer.close()
        await _answers_normally(s.url, within=2)
        assert s.log_lines("Invalid HTTP request received") == []
        assert len(s.log_lines("overload (invalid requests)")) == 1


async def test_out_of_descriptors_on_accept_is_one_line_per_episode(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    overload = OverloadLog(quiet_seconds=0.2)
    quiet_accept_errors(loop, overload)
    try:
        with caplog.at_level(logging.WARNING, logger="api.connections"):
            for _ in range(1000):
                loop.call_exception_handler({
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files"),
                })
            await asyncio.sleep(0.5)
    finally:
        loop.set_exception_handler(previous)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("overload (out of file descriptors): cannot accept connections: Too many open files")
    assert lines[1].startswith("overload (out of file descriptors) over: 1000 in")
