"""A search answers from memory: it reads nothing from the catalog's store, and what it shows is the song
as it is now — edited or removed here at once, through another instance once ``follow`` has looked."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.catalog import Song
from core.catalog.search import CatalogSearch
from tests.unit.fakes import InMemorySongStore

NOW = datetime(2026, 11, 28, tzinfo=UTC)


class CountingFeed(InMemorySongStore):
    """The in-memory catalog, counting every read search makes of it."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    async def all_songs(self, batch: int) -> AsyncIterator[list[Song]]:
        self.reads.append("all_songs")
        async for songs in super().all_songs(batch):
            yield songs

    async def get_many(self, song_ids: Sequence[str]) -> list[Song]:
        self.reads.append("get_many")
        return await super().get_many(song_ids)

    async def changes_since(self, seq: int, also: Sequence[int] = ()) -> list[tuple[int, str]]:
        self.reads.append("changes_since")
        return await super().changes_since(seq, also)

    async def last_change(self) -> int:
        self.reads.append("last_change")
        return await super().last_change()


def song(n: int, title: str, artist: str, duration: int | None = None, year: int | None = None) -> Song:
    return Song(f"id-{n}", title, artist, duration, None, NOW, NOW, year=year, language="English",
                external_id=f"karafun:{n}")


CATALOG = [
    song(1, "Zombie", "The Cranberries", 306, 1994),
    song(2, "Linger", "The Cranberries", 275, 1993),
    song(3, "Africa", "Toto", 295, 1982),
    song(4, "Sweet Caroline", "Neil Diamond", 201, 1969),
]


async def built(feed: CountingFeed) -> CatalogSearch:
    for item in CATALOG:
        await feed.add(item)
    search = CatalogSearch(feed, monotonic=time.monotonic)
    await search.build()
    feed.reads.clear()
    return search


async def shown(search: CatalogSearch, query: str) -> Song | None:
    result = await search.search(query)
    return result.items[0].song if result.items else None


async def test_a_search_reads_nothing_from_the_catalog() -> None:
    feed = CountingFeed()
    search = await built(feed)
    for query in ("zombie", "cranberries", "africa toto", "sweet carolin", "nothing like it at all", "!!!"):
        await search.search(query)
    assert feed.reads == []
    assert await shown(search, "africa toto") == CATALOG[2]


async def test_the_whole_song_is_shown_as_it_was_stored() -> None:
    search = await built(CountingFeed())
    result = await search.search("zombie cranberries")
    assert result.confident and result.items[0].song == CATALOG[0]


async def test_a_song_edited_through_another_instance_is_shown_as_it_is_now_after_follow() -> None:
    feed = CountingFeed()
    search = await built(feed)
    # Another instance writes the store directly: only the change feed tells this one.
    edited = replace(CATALOG[2], title="Africa (Live)", duration=312, year=1990, updated_at=NOW + timedelta(days=1))
    await feed.replace(edited)
    retimed = replace(CATALOG[3], duration=199, language="English, French")  # no searchable text changed
    await feed.replace(retimed)
    assert await search.follow() == 2
    assert await shown(search, "africa live toto") == edited
    assert await shown(search, "sweet caroline neil diamond") == retimed
    feed.reads.clear()
    assert await shown(search, "africa toto") == edited
    assert feed.reads == []


async def test_a_song_removed_through_another_instance_is_gone_after_follow() -> None:
    feed = CountingFeed()
    search = await built(feed)
    await feed.delete(CATALOG[0].song_id)
    await search.follow()
    result = await search.search("zombie cranberries")
    assert all(found.song.song_id != CATALOG[0].song_id for found in result.items)
    assert search.size == len(CATALOG) - 1


async def test_this_instances_own_edits_are_shown_at_once() -> None:
    feed = CountingFeed()
    search = await built(feed)
    edited = replace(CATALOG[1], duration=280, language="Irish")
    search.songs_changed([edited])
    assert await shown(search, "linger") == edited
    added = song(5, "Dreams", "The Cranberries", 271, 1992)
    search.songs_changed([added])
    assert await shown(search, "dreams cranberries") == added
    search.songs_removed([added.song_id])
    assert all(found.song.song_id != added.song_id for found in (await search.search("dreams cranberries")).items)
    assert feed.reads == []


async def test_a_song_deleted_while_the_index_is_built_is_not_shown() -> None:
    class DeletesDuringBuild(CountingFeed):
        async def all_songs(self, batch: int) -> AsyncIterator[list[Song]]:
            async for songs in super().all_songs(batch):
                yield songs
            await self.delete(CATALOG[3].song_id)  # read in the pass, deleted before the build catches up

    feed = DeletesDuringBuild()
    search = await built(feed)
    assert search.size == len(CATALOG) - 1
    assert all(f.song.song_id != CATALOG[3].song_id for f in (await search.search("sweet caroline")).items)
