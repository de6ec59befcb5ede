"""The ``SongStore`` and ``CatalogFeed`` contracts on the fake, SQLite and PostgreSQL: songs stored,
changed, paged and imported alike, and every write on the change feed search follows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.catalog import ExternalIdTaken, Song, SongQuery, SortOrder, match_key
from tests.contracts.conftest import NOW, Catalog


def song(n: int, title: str, artist: str = "Band", duration: int | None = 200, external_id: str | None = None) -> Song:
    return Song(f"00000000-0000-0000-0000-{n:012d}", title, artist, duration, None, NOW, NOW,
                external_id=external_id)


async def test_a_song_is_added_read_changed_and_removed(songs: Catalog) -> None:
    first = song(1, "Zombie", "The Cranberries", external_id="karafun:1")
    await songs.add(first)
    assert await songs.get(first.song_id) == first
    later = NOW + timedelta(hours=1)
    changed = replace(first, title="Zombie (live)", updated_at=later, created_at=later)
    assert await songs.replace(changed) is True
    assert await songs.get(first.song_id) == replace(changed, created_at=NOW), "created_at never changes"
    assert await songs.replace(song(2, "Nowhere")) is False
    assert await songs.delete(first.song_id) is True
    assert await songs.delete(first.song_id) is False
    assert await songs.get(first.song_id) is None


async def test_an_external_id_or_a_song_id_is_never_stored_twice(songs: Catalog) -> None:
    await songs.add(song(1, "Linger", external_id="karafun:2"))
    with pytest.raises(ExternalIdTaken):
        await songs.add(song(2, "Dreams", external_id="karafun:2"))
    with pytest.raises(ExternalIdTaken):
        await songs.add(song(1, "Linger again"))
    await songs.add(song(3, "Ode to My Family"))
    with pytest.raises(ExternalIdTaken):
        await songs.replace(song(3, "Ode to My Family", external_id="karafun:2"))
    assert [s.title for s in (await songs.page(SongQuery())).items] == ["Linger", "Ode to My Family"]


async def test_pages_are_filtered_sorted_case_blind_and_stable(songs: Catalog) -> None:
    for n, (title, artist, duration) in enumerate([
        ("bohemian Rhapsody", "Queen", 354), ("Africa", "Toto", None), ("Zombie", "The Cranberries", 306),
        ("Ärger", "Die Ärzte", 190), ("Dreams", "The Cranberries", None), ("Dreams", "Fleetwood Mac", 257),
    ]):
        await songs.add(song(n, title, artist, duration))
    by_title = await songs.page(SongQuery(sort="title"))
    assert [s.title for s in by_title.items] == ["Africa", "bohemian Rhapsody", "Dreams", "Dreams", "Zombie", "Ärger"]
    assert [s.artist for s in by_title.items][2:4] == ["The Cranberries", "Fleetwood Mac"], "ties by song id"
    desc = await songs.page(SongQuery(sort="title", order="desc"))
    assert desc.items[0].title == "Ärger"
    orders: tuple[SortOrder, ...] = ("asc", "desc")
    for order in orders:
        by_length = await songs.page(SongQuery(sort="duration", order=order))
        assert [s.duration for s in by_length.items][-2:] == [None, None], "unknown lengths sort last"
    cranberries = await songs.page(SongQuery(q="CRANBERR", sort="title"))
    assert [s.title for s in cranberries.items] == ["Dreams", "Zombie"] and cranberries.total == 2
    second = await songs.page(SongQuery(sort="artist", page=2, limit=4))
    assert second.total == 6 and [s.artist for s in second.items] == ["The Cranberries", "Toto"]


async def test_an_import_finds_songs_by_external_id_or_match_key_and_writes_its_batch_at_once(
    songs: Catalog,
) -> None:
    known = song(1, "Waterloo", "ABBA", external_id="karafun:9")
    loose = song(2, "Mamma Mia", "ABBA")
    await songs.add(known)
    await songs.add(loose)
    found = await songs.find_for_import(["karafun:9", "karafun:404"], [match_key("mamma  MIA", "abba")])
    assert sorted((m.song.song_id, m.match_key) for m in found) == sorted([
        (known.song_id, match_key("Waterloo", "ABBA")), (loose.song_id, match_key("Mamma Mia", "ABBA"))])
    fresh = song(3, "SOS", "ABBA")
    await songs.write_import([fresh], [replace(loose, duration=212, updated_at=NOW + timedelta(minutes=1))])
    assert await songs.get(fresh.song_id) == fresh
    updated = await songs.get(loose.song_id)
    assert updated is not None and updated.duration == 212 and updated.created_at == NOW


async def test_every_write_is_on_the_change_feed_in_order(songs: Catalog) -> None:
    assert await songs.last_change() == 0 and await songs.changes_since(0) == []
    a, b = song(1, "Africa", "Toto"), song(2, "Rosanna", "Toto")
    await songs.add(a)
    await songs.write_import([b], [])
    await songs.replace(replace(a, title="Africa (remastered)"))
    await songs.delete(b.song_id)
    changes = await songs.changes_since(0)
    assert [song_id for _, song_id in changes] == [a.song_id, b.song_id, a.song_id, b.song_id]
    seqs = [seq for seq, _ in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4 and await songs.last_change() == seqs[-1]
    assert [c for c in await songs.changes_since(seqs[1])] == changes[2:]
    assert await songs.changes_since(seqs[-1], also=[seqs[0]]) == changes[:1], "a skipped seq is read again"
    assert [s.title for batch in [b async for b in songs.all_songs(10)] for s in batch] == ["Africa (remastered)"]
    assert await songs.get_many([b.song_id, a.song_id, a.song_id]) == [await songs.get(a.song_id)]


async def test_every_song_is_read_in_one_pass_in_batches(songs: Catalog) -> None:
    added = [song(n, f"Song {n}", "Band") for n in range(1, 8)]
    await songs.write_import(added, [])
    batches = [batch async for batch in songs.all_songs(3)]
    assert [len(batch) for batch in batches] == [3, 3, 1]
    read = sorted((s for batch in batches for s in batch), key=lambda s: s.song_id)
    assert read == sorted([await songs.get(s.song_id) for s in added], key=lambda s: s.song_id if s else "")
