"""Catalog use cases: add, change, remove, list and import songs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Final, Protocol

from core.catalog.song import Song, SongDraft, match_key
from core.catalog.store import SongPage, SongQuery, SongStore
from core.clock import Clock


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


@dataclass(frozen=True, slots=True)
class SongPatch:
    """A partial change to a song: fields left ``UNSET`` keep their value. Values are already checked."""

    title: str | _Unset = UNSET
    artist: str | _Unset = UNSET
    duration: int | _Unset | None = UNSET
    media_file: object = UNSET
    year: int | _Unset | None = UNSET
    language: str | _Unset | None = UNSET
    tags: tuple[str, ...] | _Unset = UNSET
    duet: bool | _Unset = UNSET
    explicit: bool | _Unset = UNSET

    def changes(self) -> dict[str, object]:
        """The fields this patch sets, by name."""
        return {
            name: value
            for name in self.__dataclass_fields__
            if (value := getattr(self, name)) is not UNSET
        }


class CatalogListener(Protocol):
    """Told about every catalog change, so derived views (the search index) can follow."""

    def songs_changed(self, songs: Sequence[Song]) -> None:
        """These songs were added or changed."""
        ...

    def songs_removed(self, song_ids: Sequence[str]) -> None:
        """These songs are gone."""
        ...


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One parsed item of an import source (a CSV row, a media file): a draft, or why it was rejected.

    ``where`` says where it came from in words a person can find it by: "row 4", "Queen - Zombie.mp4".
    """

    where: str
    draft: SongDraft | None
    error: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What an import did, row by row counted."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[tuple[str, str]] | None = None

    def __post_init__(self) -> None:
        if self.rejections is None:
            self.rejections = []


class CatalogService:
    """The catalog's use cases over a ``SongStore``; tells listeners about every change."""

    def __init__(
        self,
        store: SongStore,
        clock: Clock,
        *,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        listeners: Sequence[CatalogListener] = (),
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._listeners = list(listeners)

    def add_listener(self, listener: CatalogListener) -> None:
        """Tell ``listener`` about every change from now on."""
        self._listeners.append(listener)

    async def add_song(self, draft: SongDraft) -> Song:
        """Store a new song with a fresh id and equal created/updated times."""
        now = self._clock.now()
        song = Song.from_draft(self._new_id(), draft, created_at=now, updated_at=now)
        await self._store.add(song)
        self._changed([song])
        return song

    async def get_song(self, song_id: str) -> Song | None:
        """The song, or ``None`` when there is no such song."""
        return await self._store.get(song_id)

    async def change_song(self, song_id: str, patch: SongPatch) -> Song | None:
        """Apply ``patch``; ``updated_at`` moves only when something really changed. ``None`` if missing."""
        current = await self._store.get(song_id)
        if current is None:
            return None
        draft = replace(current.draft(), **patch.changes())  # type: ignore[arg-type]
        if draft == current.draft():
            return current
        changed = Song.from_draft(song_id, draft, created_at=current.created_at, updated_at=self._clock.now())
        if not await self._store.replace(changed):
            return None
        self._changed([changed])
        return changed

    async def remove_song(self, song_id: str) -> bool:
        """Delete the song; ``False`` when it did not exist."""
        removed = await self._store.delete(song_id)
        if removed:
            for listener in self._listeners:
                listener.songs_removed([song_id])
        return removed

    async def list_songs(self, query: SongQuery) -> SongPage:
        """A page of the catalog as the store sorts and filters it."""
        return await self._store.page(query)

    async def import_rows(self, rows: Iterable[ImportRow], *, batch_size: int = 2000) -> ImportReport:
        """Import parsed rows idempotently.

        A row matches an existing song by its external id, else by title and artist
        (case, spacing and Unicode form ignored). Matching rows whose fields are equal
        count as unchanged; differing ones update the song in place. One bad row is
        counted as rejected and never stops the rest.
        """
        report = ImportReport()
        batch: list[ImportRow] = []
        for row in rows:
            if row.draft is None:
                report.rejected += 1
                assert report.rejections is not None
                report.rejections.append((row.where, row.error or "unreadable"))
                continue
            batch.append(row)
            if len(batch) >= batch_size:
                await self._import_batch(batch, report)
                batch = []
        if batch:
            await self._import_batch(batch, report)
        return report

    async def _import_batch(self, rows: list[ImportRow], report: ImportReport) -> None:
        drafts = [row.draft for row in rows if row.draft is not None]
        external_ids = [d.external_id for d in drafts if d.external_id]
        keys = [match_key(d.title, d.artist) for d in drafts if not d.external_id]
        by_external: dict[str, Song] = {}
        by_key: dict[str, Song] = {}
        for found in await self._store.find_for_import(external_ids, keys):
            if found.song.external_id:
                by_external[found.song.external_id] = found.song
            by_key.setdefault(found.match_key, found.song)

        now = self._clock.now()
        added: dict[str, Song] = {}
        updated: dict[str, Song] = {}
        for draft in drafts:
            key = match_key(draft.title, draft.artist)
            existing = by_external.get(draft.external_id) if draft.external_id else by_key.get(key)
            if existing is None:
                song = Song.from_draft(self._new_id(), draft, created_at=now, updated_at=now)
                added[song.song_id] = song
                report.added += 1
            elif existing.draft() == draft:
                report.unchanged += 1
                continue
            else:
                song = Song.from_draft(existing.song_id, draft, created_at=existing.created_at, updated_at=now)
                if song.song_id in added:
                    added[song.song_id] = song
                else:
                    updated[song.song_id] = song
                report.updated += 1
            if song.external_id:
                by_external[song.external_id] = song
            by_key[key] = song
        if added or updated:
            await self._store.write_import(list(added.values()), list(updated.values()))
            self._changed([*added.values(), *updated.values()])

    def _changed(self, songs: Sequence[Song]) -> None:
        for listener in self._listeners:
            listener.songs_changed(songs)

