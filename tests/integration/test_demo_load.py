"""``serve --demo`` finishes what it began: a demo catalog load cut short is completed at the next start, with
no song twice, and a catalog of someone's own is left alone."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from core.catalog import CatalogService, ImportReport, Song, SongDraft
from core.clock import Clock
from karaoke.bootstrap import Container, build
from karaoke.cli import import_file
from karaoke.demo import first_and_last, load_demo
from storage.songs import SqlSongStore
from storage.tables import songs
from tests.conftest import settings_for
from tests.integration.test_cli import KARAFUN, _env, _free_port, _Running


def demo_file(path: Path, rows: int) -> Path:
    lines = ["id,title,artist"] + [f"demo-{n},Song number {n},Artist {n % 97}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class DiesAfter(SqlSongStore):
    """The catalog's storage, failing every import write after the first ``batches`` (a process dying there)."""

    def __init__(self, container: Container, batches: int, *, once: bool = False) -> None:
        super().__init__(container.engine, container.clock)
        self.left = batches
        self.once = once

    async def write_import(self, added: Sequence[Song], updated: Sequence[Song]) -> None:
        if self.left == 0:
            if self.once:
                self.left = -1
            raise ConnectionResetError("the process died here")
        self.left -= 1
        await super().write_import(added, updated)


async def catalog_counts(container: Container) -> tuple[int, int]:
    async with container.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(songs))).scalar_one()
        distinct = (await conn.execute(select(func.count(songs.c.external_id.distinct())))).scalar_one()
    return int(total), int(distinct)


def failing_import(
    container: Container, store: SqlSongStore, clock: Clock
) -> Callable[[Path], Awaitable[ImportReport]]:
    """Imports into ``container`` through ``store``."""
    container.catalog = CatalogService(store, clock)
    return lambda path: import_file(container, path)


async def test_a_load_cut_short_after_one_batch_is_finished_at_the_next_start(db_url: str, tmp_path: Path) -> None:
    path = demo_file(tmp_path / "demo.csv", 4_500)  # three batches of 2,000
    said: list[str] = []
    async with build(settings_for(db_url, demo_catalog=path), upgrade=False) as container:
        dying = DiesAfter(container, batches=1)
        with pytest.raises(ConnectionResetError):
            await load_demo(container.songs, path, failing_import(container, dying, container.clock),
                            say=said.append, retry_seconds=0)
        assert await catalog_counts(container) == (2_000, 2_000)
    async with build(settings_for(db_url, demo_catalog=path), upgrade=False) as container:
        report = await load_demo(container.songs, path, lambda p: import_file(container, p), say=said.append)
        assert report is not None and (report.added, report.unchanged) == (2_500, 2_000)
        assert await catalog_counts(container) == (4_500, 4_500)
        # Complete now: a third start loads nothing.
        assert await load_demo(container.songs, path, lambda p: import_file(container, p), say=said.append) is None
    assert said == [
        f"Loading the demo catalog from {path}…",
        f"Finishing the demo catalog load from {path} (2,000 songs so far)…",
        "The catalog has 4,500 songs; the demo catalog is loaded.",
    ]


async def test_a_failed_batch_is_tried_again_at_once_and_the_load_completes(db_url: str, tmp_path: Path) -> None:
    path = demo_file(tmp_path / "demo.csv", 4_500)
    async with build(settings_for(db_url, demo_catalog=path), upgrade=False) as container:
        dying = DiesAfter(container, batches=2, once=True)
        report = await load_demo(container.songs, path, failing_import(container, dying, container.clock),
                                 say=lambda _: None, retry_seconds=0)
        assert report is not None and report.added + report.unchanged == 4_500
        assert await catalog_counts(container) == (4_500, 4_500)


async def test_a_catalog_of_ones_own_is_left_alone(db_url: str, tmp_path: Path) -> None:
    path = demo_file(tmp_path / "demo.csv", 10)
    said: list[str] = []
    async with build(settings_for(db_url, demo_catalog=path), upgrade=False) as container:
        await container.catalog.add_song(SongDraft(title="Our own song", artist="The House Band"))
        assert await load_demo(container.songs, path, lambda p: import_file(container, p), say=said.append) is None
        assert await container.songs.count() == 1
    assert said == ["The catalog has 1 songs; the demo catalog is not loaded."]


def test_the_last_row_is_found_from_the_end_of_the_file_alone() -> None:
    ends = first_and_last(KARAFUN)
    assert ends is not None
    first, last = ends
    assert (first.external_id, last.external_id) == ("karafun:56442", "karafun:41020")


@pytest.mark.slow
def test_serve_demo_killed_while_loading_completes_the_catalog_at_the_next_start(tmp_path: Path) -> None:
    database = tmp_path / "k.db"
    env = _env(database_url=f"sqlite+aiosqlite:///{database}", log_level="WARNING")
    port = _free_port()
    first = _Running(tmp_path, env, "serve", "--demo", "--port", str(port))
    try:
        first.until(lambda line: line.startswith("Loading the demo catalog"))
        deadline = time.monotonic() + 120
        count = 0
        while time.monotonic() < deadline and count == 0:
            time.sleep(0.05)
            try:
                with sqlite3.connect(database, timeout=1) as conn:
                    count = conn.execute("SELECT count(*) FROM songs").fetchone()[0]
            except sqlite3.OperationalError:
                continue
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(20)
    finally:
        first.stop()
    with sqlite3.connect(database) as conn:
        partial = conn.execute("SELECT count(*) FROM songs").fetchone()[0]
    assert 0 < partial < 47_768, partial

    again = _Running(tmp_path, env, "serve", "--demo", "--port", str(port))
    try:
        again.until(lambda line: line.startswith("Karaoke is up"), within=300)
        assert any(line.startswith("Finishing the demo catalog load") for line in again.seen), again.seen
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/readyz", timeout=5).status_code == 200
    finally:
        again.stop()
    with sqlite3.connect(database) as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT external_id) FROM songs").fetchone()
    assert (total, distinct) == (47_768, 47_768)

