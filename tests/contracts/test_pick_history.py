"""The ``PickHistory`` contract on a fake, SQLite and PostgreSQL: every song request of every show
counts once for its song unless its singer took it back, and nothing else counts."""

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
    """``PickHistory`` over the in-memory show store: its ``SongRequested`` rows by song, less the
    requests their singer withdrew in the same show."""

    def __init__(self, shows: InMemoryShowStore) -> None:
        self._shows = shows

    async def pick_counts(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for rows in self._shows.rows.values():
            taken_back = {
                payload["request_id"]
                for _, kind, payload, _ in rows
                if kind == "RequestWithdrawn" and payload["by_kj"] is False
            }
            counts.update(
                str(payload["song_id"])
                for _, kind, payload, _ in rows
                if kind == "SongRequested" and payload["request_id"] not in taken_back
            )
        return dict(counts)


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


def requested(request_id: str, song_id: str, title: str, minutes: int = 0) -> SongRequested:
    return SongRequested(request_id, "ann", song_id, title, "Someone", 200, NOW + timedelta(minutes=minutes))


async def test_a_deployment_without_requests_has_no_picks(picks: PickHistory, shows: ShowStore) -> None:
    await open_show(shows, 1)
    assert dict(await picks.pick_counts()) == {}


async def test_every_request_of_every_show_counts_once_for_its_song(picks: PickHistory, shows: ShowStore) -> None:
    friday, saturday = await open_show(shows, 1), await open_show(shows, 2)
    await shows.append(friday, 2, [requested("r1", WATERLOO, "Waterloo"), requested("r2", YMCA, "Y.M.C.A.", 1)], "a")
    await shows.append(saturday, 2, [requested("r1", WATERLOO, "Waterloo", 2)], "b")
    await shows.append(saturday, 3, [requested("r3", WATERLOO, "Waterloo", 3)], "c")
    assert dict(await picks.pick_counts()) == {WATERLOO: 3, YMCA: 1}
    assert ZOMBIE not in await picks.pick_counts()


async def test_a_request_its_singer_took_back_is_no_pick_but_one_the_kj_removed_is(
    picks: PickHistory, shows: ShowStore
) -> None:
    friday, saturday = await open_show(shows, 1), await open_show(shows, 2)
    await shows.append(friday, 2, [requested("r1", WATERLOO, "Waterloo"), requested("r2", YMCA, "Y.M.C.A.", 1)], "a")
    # Saturday's request has the same id as Friday's withdrawn one: a withdrawal belongs to its own show.
    await shows.append(saturday, 2, [requested("r1", WATERLOO, "Waterloo", 2)], "b")
    await shows.append(friday, 4, [RequestWithdrawn("r1", "ann", False, NOW)], "withdraw")
    await shows.append(friday, 5, [RequestWithdrawn("r2", "ann", True, NOW)], "kj-remove")
    assert dict(await picks.pick_counts()) == {WATERLOO: 1, YMCA: 1}
