"""``SongShelf``: the songs a search answer shows, held in memory so answering one reads no database.

Search keeps it in step with the catalog as it keeps its index (see ``service``). The 47,768 KaraFun
songs as read from the database take 35 MB, two thirds of the index's own size, mostly in values that
many songs share: an artist, a language, a year, a duration, the moment one import stamped them all
with. The shelf keeps each such value once and holds the same songs in 10 MB (measured with
tracemalloc), so a song costs little more than its own title, ids and the object holding them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from core.catalog.song import Song

__all__ = ["SongShelf"]


class _Sharing:
    """One object for each repeated value among the songs of one batch.

    Strings go through ``sys.intern``, which shares them with every batch and lets go of them when no
    song holds them any more; other values are shared within the batch only, so that the edits of a
    long night never pile up in a table of their own.
    """

    def __init__(self) -> None:
        self._ints: dict[int, int] = {}
        self._times: dict[tuple[datetime, object, int], datetime] = {}
        self._tags: dict[tuple[str, ...], tuple[str, ...]] = {}

    def song(self, song: Song) -> Song:
        # Every field by hand, not ``dataclasses.replace``: a third of the cost, on the event loop while
        # a whole catalog is read in (tests/unit/search/test_search_shelf.py notices a field left out).
        ints = self._ints
        return Song(
            song_id=song.song_id,
            title=song.title,
            artist=sys.intern(song.artist),
            duration=None if song.duration is None else ints.setdefault(song.duration, song.duration),
            media_file=song.media_file,
            created_at=self._time(song.created_at),
            updated_at=self._time(song.updated_at),
            year=None if song.year is None else ints.setdefault(song.year, song.year),
            language=None if song.language is None else sys.intern(song.language),
            tags=self._tags.setdefault(song.tags, song.tags),
            duet=song.duet,
            explicit=song.explicit,
            external_id=song.external_id,
        )

    def _time(self, moment: datetime) -> datetime:
        # Equal instants in different zones compare equal; each keeps its own zone.
        return self._times.setdefault((moment, moment.tzinfo, moment.fold), moment)


class SongShelf:
    """Songs by id, as search last heard of them. Not thread-safe: one event loop changes and reads it."""

    def __init__(self) -> None:
        self._songs: dict[str, Song] = {}

    def put(self, songs: Iterable[Song]) -> None:
        """Hold ``songs``, each replacing the one held with its id; values they share are kept once."""
        sharing = _Sharing()
        held = self._songs
        for song in songs:
            held[song.song_id] = sharing.song(song)

    def drop(self, song_ids: Iterable[str]) -> None:
        """Let go of the songs with ``song_ids``; ids not held are ignored."""
        for song_id in song_ids:
            self._songs.pop(song_id, None)

    def get(self, song_id: str) -> Song | None:
        """The song held with ``song_id``, or ``None``."""
        return self._songs.get(song_id)

    def in_order(self, song_ids: Sequence[str]) -> Iterator[Song]:
        """The held songs among ``song_ids``, in that order."""
        get = self._songs.get
        for song_id in song_ids:
            song = get(song_id)
            if song is not None:
                yield song

    def all(self) -> Iterator[Song]:
        """Every held song, in the order they were first put."""
        return iter(self._songs.values())

    def __len__(self) -> int:
        return len(self._songs)

    def __contains__(self, song_id: object) -> bool:
        return song_id in self._songs
