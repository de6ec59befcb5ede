"""Helpers for the page tests: a show driven through the admin API, a server whose app we configure,
and reading a QR code's modules back out of the SVG the venue screen serves."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from karaoke.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.live_server import live_server

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Night:
    """A show set up and driven through the admin API of a running server."""

    def __init__(self, base_url: str, name: str = "Friday Karaoke") -> None:
        self.http = httpx.Client(base_url=base_url, headers=ADMIN, timeout=10)
        answer = self.http.post("/api/v1/shows", json={"name": name})
        assert answer.status_code == 201, answer.text
        self.show: dict[str, Any] = answer.json()
        self.id, self.code = self.show["show_id"], self.show["code"]
        self.url = f"/api/v1/shows/{self.id}"

    def close(self) -> None:
        self.http.close()

    def song(self, title: str, artist: str, duration: int = 240) -> str:
        answer = self.http.post("/api/v1/songs", json={"title": title, "artist": artist, "duration": duration})
        assert answer.status_code == 201, answer.text
        song_id: str = answer.json()["song_id"]
        return song_id

    def request(self, singer: str, title: str, artist: str = "Someone") -> dict[str, Any]:
        body = {"singer": {"name": singer}, "song_id": self.song(title, artist)}
        answer = self.http.post(f"{self.url}/requests", json=body)
        assert answer.status_code == 201, answer.text
        request: dict[str, Any] = answer.json()
        return request

    def queue(self) -> dict[str, Any]:
        queue: dict[str, Any] = self.http.get(f"{self.url}/queue").json()
        return queue

    def now_singer(self) -> str | None:
        now = self.queue()["now"]
        return now["singer"]["name"] if now else None

    def upcoming_singers(self) -> list[str]:
        return [slot["singer"]["name"] for slot in self.queue()["upcoming"]]

    def kj(self, action: str) -> dict[str, Any]:
        answer = self.http.post(f"{self.url}/{action}")
        assert answer.status_code == 200, answer.text
        queue: dict[str, Any] = answer.json()
        return queue

    def started(self) -> None:
        """Make the first singer in line sing now, if nobody is on stage yet."""
        if self.queue()["now"] is None:
            self.kj("advance")


def app_server(
    settings: Settings, configure: Callable[[FastAPI], None], port: int = 0
) -> AbstractContextManager[str]:
    """``tests.live_server.live_server`` with the app set up by the test first, on a chosen port."""
    return live_server(settings, configure=configure, port=port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_STEP = re.compile(r"([MmHhVvZz])\s*([-\d.]*)\s*,?\s*([-\d.]*)")


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules of a QR code drawn by segno (one unit per module, lines of ``h`` strokes), border removed."""
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert view, "the SVG has no viewBox"
    size = int(view.group(1))
    path = re.search(r'<path[^>]*class="qrline"[^>]*\bd="([^"]+)"', svg) or re.search(
        r'<path[^>]*stroke=[^>]*\bd="([^"]+)"', svg
    )
    assert path, "the SVG has no QR path"
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, first, second in _STEP.findall(path.group(1)):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        elif command == "h":
            length = float(first)
            for column in range(int(x), int(x + length)):
                dark.add((int(y), column))
            x += length
    rows = [r for r, _ in dark]
    columns = [c for _, c in dark]
    top, left = min(rows), min(columns)
    # The finder pattern in the top-left corner starts at the first dark module after the quiet zone.
    width = size - 2 * left
    return [[(top + r, left + c) in dark for c in range(width)] for r in range(width)]


def segno_modules(text: str, error: str) -> list[list[bool]]:
    import segno

    return [[bool(v) for v in row] for row in segno.make_qr(text, error=error, boost_error=True).matrix]
