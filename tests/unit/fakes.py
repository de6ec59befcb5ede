"""Hand-written fakes of core's ports, for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.catalog import ExternalIdTaken, ImportMatch, Song, SongPage, SongQuery, match_key, sort_key


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 11, 28, 20, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class InMemorySongStore:
    """``SongStore`` over a dict."""

    def __init__(self) -> None:
        self.songs: dict[str, Song] = {}
        self.writes = 0

    def _check_external(self, song: Song) -> None:
        if song.external_id and any(
            s.external_id == song.external_id and s.song_id != song.song_id for s in self.songs.values()
        ):
            raise ExternalIdTaken(song.external_id)

    async def add(self, song: Song) -> None:
        self._check_external(song)
        self.songs[song.song_id] = song
        self.writes += 1

    async def get(self, song_id: str) -> Song | None:
        return self.songs.get(song_id)

    async def replace(self, song: Song) -> bool:
        if song.song_id not in self.songs:
            return False
        self._check_external(song)
        self.songs[song.song_id] = song
        self.writes += 1
        return True

    async def delete(self, song_id: str) -> bool:
        self.writes += 1
        return self.songs.pop(song_id, None) is not None

    async def page(self, query: SongQuery) -> SongPage:
        items = list(self.songs.values())
        if query.q:
            needle = sort_key(query.q)
            items = [s for s in items if needle in sort_key(s.title) or needle in sort_key(s.artist)]
        items.sort(key=lambda s: s.song_id)
        items.sort(key=lambda s: sort_key(getattr(s, query.sort)) if query.sort in ("title", "artist")
                   else getattr(s, query.sort), reverse=query.order == "desc")
        start = (query.page - 1) * query.limit
        return SongPage(items=items[start : start + query.limit], total=len(items))

    async def find_for_import(self, external_ids: Sequence[str], match_keys: Sequence[str]) -> list[ImportMatch]:
        wanted_ids, wanted_keys = set(external_ids), set(match_keys)
        return [
            ImportMatch(s, match_key(s.title, s.artist))
            for s in self.songs.values()
            if s.external_id in wanted_ids or match_key(s.title, s.artist) in wanted_keys
        ]

    async def write_import(self, added: Sequence[Song], updated: Sequence[Song]) -> None:
        for song in (*added, *updated):
            self.songs[song.song_id] = replace(song)
        self.writes += 1


class RecordingListener:
    """A catalog listener that remembers what it was told."""

    def __init__(self) -> None:
        self.changed: list[str] = []
        self.removed: list[str] = []

    def songs_changed(self, songs: Sequence[Song]) -> None:
        self.changed += [s.song_id for s in songs]

    def songs_removed(self, song_ids: Sequence[str]) -> None:
        self.removed += list(song_ids)
