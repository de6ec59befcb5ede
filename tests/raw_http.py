"""The real ``karaoke serve`` as a child process, and HTTP spoken by hand over loopback sockets.

For the tests of what the server does with hostile clients (huge bodies, slow headers, too many
connections): those need a separate process (its memory and file descriptors are measured) and a
client that does what no HTTP library does on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.service_process import REPO, free_port


class Served:
    """``python -m karaoke.cli serve`` on a free loopback port, its output in ``log``."""

    def __init__(self, process: asyncio.subprocess.Process, port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        """The server process's resident memory now (VmRSS)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def open_descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def log_lines(self, containing: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if containing in line]


@contextlib.asynccontextmanager
async def served(
    database_url: str, log: Path, env: Mapping[str, str] | None = None, *, open_files: int | None = None
) -> AsyncIterator[Served]:
    """The service for ``database_url`` until the block ends; ``open_files`` caps its descriptors (soft and hard)."""
    port = free_port()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("KARAOKE_")}
    child_env |= {"KARAOKE_DATABASE_URL": database_url, "KARAOKE_ADMIN_TOKEN": ADMIN_TOKEN,
                  "KARAOKE_LOG_LEVEL": "INFO", **(env or {})}

    def limit_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    with log.open("a") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "karaoke.cli", "serve", "--port", str(port), env=child_env,
            stdout=output, stderr=output, cwd=REPO, preexec_fn=limit_files,
        )
    service = Served(process, port, log)
    try:
        await _wait_ready(service)
        yield service
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _wait_ready(service: Served, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if service.process.returncode is not None:
                raise RuntimeError(f"serve exited with {service.process.returncode}: {service.log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{service.url}/api/v1/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"serve never became ready: {service.log.read_text()}")


async def read_status(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status code and the rest of the answer read until the server closes (or 64 KiB)."""
    data = b""
    with contextlib.suppress(ConnectionError):
        while len(data) < 65536:
            chunk = await reader.read(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and _complete(data):
                break
    if not data.startswith(b"HTTP/1.1 "):
        raise ConnectionError(f"no HTTP answer: {data[:200]!r}")
    return int(data[9:12]), data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False
