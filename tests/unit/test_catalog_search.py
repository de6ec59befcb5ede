"""The search service follows the catalog's change feed, including changes that commit out of order."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from core.catalog import Song
from core.catalog.search import CatalogSearch, QueryTooLong, SearchNotReady
from tests.unit.fakes import InMemorySongStore

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def song(n: int, title: str, artist: str) -> Song:
    return Song(f"id-{n}", title, artist, None, None, NOW, NOW)


class FakeFeed(InMemorySongStore):
    """The in-memory catalog, whose changes can become visible out of order as PostgreSQL commits them."""

    def __init__(self) -> None:
        super().__init__()
        self.invisible: set[int] = set()

    def write(self, seq: int, item: Song | str, *, visible: bool = True) -> None:
        """Store (or, given an id, delete) a song as the change numbered ``seq``, seen by readers or not yet."""
        if isinstance(item, Song):
            self.songs[item.song_id] = item
            song_id = item.song_id
        else:
            self.songs.pop(item, None)
            song_id = item
        self.changes.append((seq, song_id))
        if not visible:
            self.invisible.add(seq)

    async def changes_since(self, seq: int, also: Sequence[int] = ()) -> list[tuple[int, str]]:
        return [c for c in await super().changes_since(seq, also) if c[0] not in self.invisible]

    async def last_change(self) -> int:
        return max((s for s, _ in self.changes if s not in self.invisible), default=0)


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def titles(search: CatalogSearch, query: str) -> list[str]:
    return [f.song.title for f in (await search.search(query)).items]


async def test_a_change_that_commits_late_is_still_picked_up() -> None:
    feed = FakeFeed()
    feed.write(1, song(1, "Zombie", "The Cranberries"))
    search = CatalogSearch(feed, monotonic=time.monotonic)
    with pytest.raises(SearchNotReady):
        await search.search("zombie")
    await search.build()
    assert search.ready and search.size == 1
    feed.write(2, song(2, "Linger", "The Cranberries"), visible=False)  # still committing elsewhere
    feed.write(3, song(3, "Dreams", "The Cranberries"))
    assert await search.follow() == 1
    assert (await titles(search, "dreams cranberries"))[0] == "Dreams"
    assert "Linger" not in await titles(search, "linger cranberries")
    feed.invisible.clear()
    assert await search.follow() == 1
    assert (await titles(search, "linger cranberries"))[0] == "Linger"
    feed.write(4, "id-1")
    await search.follow()
    assert "Zombie" not in await titles(search, "zombie cranberries")


async def test_listeners_update_the_index_before_any_poll() -> None:
    feed = FakeFeed()
    search = CatalogSearch(feed, monotonic=time.monotonic)
    await search.build()
    added = song(7, "Hallelujah", "Leonard Cohen")
    feed.songs[added.song_id] = added
    search.songs_changed([added])
    assert await titles(search, "halleluja cohen") == ["Hallelujah"]
    search.songs_removed([added.song_id])
    del feed.songs[added.song_id]
    assert await titles(search, "halleluja cohen") == []


async def test_a_long_query_is_refused() -> None:
    search = CatalogSearch(FakeFeed(), monotonic=time.monotonic)
    await search.build()
    with pytest.raises(QueryTooLong):
        await search.search("x" * 201)
