"""``CatalogSearch`` and this venue's history: what singers picked before comes first among versions of
a title, read with the index, refreshed while following, and told of new picks at once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from core.catalog import Song
from core.catalog.search import PICKS_REFRESH_SECONDS, CatalogSearch
from tests.unit.fakes import InMemorySongStore

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def song(song_id: str, title: str, artist: str, year: int | None, karafun: int | None) -> Song:
    external = f"karafun:{karafun}" if karafun is not None else None
    return Song(song_id, title, artist, None, None, NOW, NOW, year=year, external_id=external)


VERSIONS = [
    song("kids", "YMCA", "Children's Chorus", 1979, 39141),
    song("village", "Y.M.C.A.", "Village People", 1978, 6926),
    song("ross", "Y.M.C.A.", "Ross Antony", 2019, 61700),
]


class Picks:
    """A hand-written ``PickHistory``: counts set by the test; counts how often it was read."""

    def __init__(self, counts: Mapping[str, int] | None = None) -> None:
        self.counts = dict(counts or {})
        self.reads = 0
        self.broken = False

    async def pick_counts(self) -> Mapping[str, int]:
        self.reads += 1
        if self.broken:
            raise ConnectionError("database is away")
        return dict(self.counts)


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def catalog(*songs: Song) -> InMemorySongStore:
    store = InMemorySongStore()
    for item in songs:
        store.songs[item.song_id] = item
    return store


async def first_of(search: CatalogSearch, query: str) -> str:
    return (await search.search(query)).items[0].song.song_id


async def test_without_history_the_original_comes_first_by_year() -> None:
    search = CatalogSearch(catalog(*VERSIONS), monotonic=Ticking())
    await search.build()
    result = await search.search("ymca")
    assert [item.song.song_id for item in result.items] == ["village", "kids", "ross"]


async def test_without_years_the_lower_karafun_id_is_the_original() -> None:
    store = catalog(song("late", "Dreams", "Band A", None, 900), song("early", "Dreams", "Band B", None, 12))
    search = CatalogSearch(store, monotonic=Ticking())
    await search.build()
    assert await first_of(search, "dreams") == "early"


async def test_the_version_singers_here_picked_before_comes_first() -> None:
    search = CatalogSearch(catalog(*VERSIONS), monotonic=Ticking(), picks=Picks({"ross": 3, "kids": 1}))
    await search.build()
    result = await search.search("ymca")
    assert [item.song.song_id for item in result.items] == ["ross", "kids", "village"]
    assert result.confident


async def test_a_pick_made_here_counts_at_once() -> None:
    search = CatalogSearch(catalog(*VERSIONS), monotonic=Ticking(), picks=Picks())
    await search.build()
    search.note_pick("kids")
    assert await first_of(search, "ymca") == "kids"


async def test_picks_made_elsewhere_arrive_when_the_history_is_read_again() -> None:
    clock, history = Ticking(), Picks()
    search = CatalogSearch(catalog(*VERSIONS), monotonic=clock, picks=history)
    await search.build()
    assert history.reads == 1
    history.counts = {"ross": 1}
    await search.follow()
    assert history.reads == 1, "not on every poll"
    assert await first_of(search, "ymca") == "village"
    clock.now = PICKS_REFRESH_SECONDS
    await search.follow()
    assert history.reads == 2
    assert await first_of(search, "ymca") == "ross"


async def test_an_unreadable_history_leaves_search_working_with_what_it_knew(caplog: pytest.LogCaptureFixture) -> None:
    clock, history = Ticking(), Picks({"kids": 1})
    search = CatalogSearch(catalog(*VERSIONS), monotonic=clock, picks=history)
    await search.build()
    history.broken = True
    clock.now = PICKS_REFRESH_SECONDS
    await search.follow()
    assert "could not read what singers picked before" in caplog.text
    assert await first_of(search, "ymca") == "kids"


async def test_a_song_added_in_this_process_is_ranked_by_its_year_too() -> None:
    store = catalog(*VERSIONS)
    search = CatalogSearch(store, monotonic=Ticking())
    await search.build()
    oldest = song("oldest", "YMCA", "Demo Band", 1977, 70000)
    store.songs[oldest.song_id] = oldest
    search.songs_changed([oldest])
    assert await first_of(search, "ymca") == "oldest"


class SlowPicks(Picks):
    """Picks whose reading waits until the test lets it finish (a database slow to answer at start)."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        super().__init__(counts)
        self.answer = asyncio.Event()

    async def pick_counts(self) -> Mapping[str, int]:
        await self.answer.wait()
        return await super().pick_counts()


async def test_no_search_is_answered_before_the_venues_picks_are_read() -> None:
    # A console or an instance answers as soon as the search is ready: ready before the picks were read, a
    # first search ranked the versions as if nobody here had ever picked one.
    picks = SlowPicks({"ross": 3})
    search = CatalogSearch(catalog(*VERSIONS), monotonic=Ticking(), picks=picks)
    building = asyncio.create_task(search.build())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not search.ready
    picks.answer.set()
    await building
    assert search.ready
    assert await first_of(search, "ymca") == "ross"
