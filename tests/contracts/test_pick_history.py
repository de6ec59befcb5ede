"""The ``PickHistory`` contract on a fake, SQLite and PostgreSQL: every song request of every show
counts once for its song, and nothing else counts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.catalog.search import PickHistory
from core.rotation import ShowSettings, ShowStore
from core.rotation.events import RequestWithdrawn, ShowOpened, SingerJoined, SongRequested
from storage.picks import SqlPickHistory
from tests.contracts.conftest import NOW
from tests.unit.rotation.fakes import InMemoryShowStore

WATERLOO = "00000000-0000-0000-0000-00000000a001"
YMCA = "00000000-0000-0000-0000-00000000a002"
ZOMBIE = "00000000-0000-0000-0000-00000000a003"


class InMemoryPickHistory:
    """``PickHistory`` over the in-memory show store: its ``SongRequested`` rows, counted by song."""

    def __init__(self, shows: InMemoryShowStore) -> None:
        self._shows = shows

    async def pick_counts(self) -> dict[str, int]:
        return dict(
            Counter(
                str(payload["song_id"])
                for rows in self._shows.rows.values()
                for _, kind, payload, _ in rows
                if kind == "SongRequested"
            )
        )


@pytest.fixture
def picks(engine: AsyncEngine | None, shows: ShowStore) -> PickHistory:
    if engine is None:
        assert isinstance(shows, InMemoryShowStore)
        return InMemoryPickHistory(shows)
    return SqlPickHistory(engine)


def show(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


async def open_show(shows: ShowStore, n: int) -> str:
    show_id = show(n)
    await shows.append(show_id, 0, [ShowOpened(show_id, f"Night {n}", f"CODE{n}", ShowSettings(), NOW, NOW)], "open")
    await shows.append(show_id, 1, [SingerJoined("ann", "Ann", None, None, NOW)], "join")
    return show_id


def requested(n: int, song_id: str, title: str) -> SongRequested:
    return SongRequested(f"r{n}", "ann", song_id, title, "Someone", 200, NOW + timedelta(minutes=n))


async def test_a_deployment_without_requests_has_no_picks(picks: PickHistory, shows: ShowStore) -> None:
    await open_show(shows, 1)
    assert dict(await picks.pick_counts()) == {}


async def test_every_request_of_every_show_counts_once_for_its_song(picks: PickHistory, shows: ShowStore) -> None:
    friday, saturday = await open_show(shows, 1), await open_show(shows, 2)
    await shows.append(friday, 2, [requested(1, WATERLOO, "Waterloo"), requested(2, YMCA, "Y.M.C.A.")], "req-1")
    await shows.append(friday, 4, [RequestWithdrawn("r1", "ann", False, NOW)], "withdraw")
    await shows.append(saturday, 2, [requested(3, WATERLOO, "Waterloo")], "req-2")
    await shows.append(saturday, 3, [requested(4, WATERLOO, "Waterloo")], "req-3")
    # A withdrawn request still says which version the singer chose; joins and openings count for nothing.
    assert dict(await picks.pick_counts()) == {WATERLOO: 3, YMCA: 1}
    assert ZOMBIE not in await picks.pick_counts()
