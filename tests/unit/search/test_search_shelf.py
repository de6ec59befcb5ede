"""``SongShelf``: the songs a search shows, held whole, with the values many songs share kept once."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from core.catalog import MediaFile, Song
from core.catalog.search import SongShelf

NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


def fresh(text: str) -> str:
    """An equal string that is a different object, as each database row hands out its own."""
    return "".join(list(text))


def song(song_id: str, title: str, artist: str, **more: Any) -> Song:
    return replace(Song(song_id, title, fresh(artist), None, None, NOW, NOW), **more)


def test_a_song_comes_back_with_every_field_it_was_given() -> None:
    whole = Song(
        song_id="s1", title="Africa", artist="Toto", duration=295, media_file=MediaFile("media", "toto/africa.mp4"),
        created_at=NOW, updated_at=NOW + timedelta(hours=1), year=1982, language="English", tags=("Rock", "80s"),
        duet=True, explicit=True, external_id="karafun:123",
    )
    # The shelf copies each field by name; a field added to Song must be added there too.
    assert [f.name for f in fields(Song)] == [
        "song_id", "title", "artist", "duration", "media_file", "created_at", "updated_at", "year", "language",
        "tags", "duet", "explicit", "external_id",
    ]
    shelf = SongShelf()
    shelf.put([whole])
    assert shelf.get("s1") == whole
    assert "s1" in shelf and len(shelf) == 1


def test_values_many_songs_share_are_held_once() -> None:
    shelf = SongShelf()
    a = song("a", "Africa", "Toto", year=int("1982"), language=fresh("English"), tags=(fresh("Rock"),),
             duration=int("295"), created_at=NOW + timedelta(0), updated_at=NOW + timedelta(0))
    b = song("b", "Rosanna", "Toto", year=int("1982"), language=fresh("English"), tags=(fresh("Rock"),),
             duration=int("295"), created_at=NOW + timedelta(0), updated_at=NOW + timedelta(0))
    assert a.artist is not b.artist and a.created_at is not b.created_at
    shelf.put([a, b])
    held_a, held_b = shelf.get("a"), shelf.get("b")
    assert held_a is not None and held_b is not None
    for name in ("artist", "year", "language", "tags", "duration", "created_at", "updated_at"):
        assert getattr(held_a, name) is getattr(held_b, name), name
    # Artists are shared with songs put later too.
    shelf.put([song("c", "Hold the Line", "Toto")])
    held_c = shelf.get("c")
    assert held_c is not None and held_c.artist is held_a.artist


def test_the_same_moment_in_another_zone_keeps_its_zone() -> None:
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    shelf = SongShelf()
    shelf.put([song("utc", "A", "X"), song("paris", "B", "X", created_at=paris, updated_at=paris)])
    held = shelf.get("paris")
    assert held is not None and held.created_at.utcoffset() == timedelta(hours=1)


def test_a_later_put_replaces_and_a_drop_forgets() -> None:
    shelf = SongShelf()
    shelf.put([song("a", "Africa", "Toto"), song("b", "Rosanna", "Toto")])
    shelf.put([song("a", "Africa (live)", "Toto")])
    shelf.drop(["b", "never-held"])
    assert [s.title for s in shelf.in_order(["b", "a", "missing"])] == ["Africa (live)"]
    assert shelf.get("b") is None and len(shelf) == 1
