"""The port through which the catalog is stored and listed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from core.catalog.song import Song

SortField = Literal["title", "artist", "created_at", "updated_at", "duration"]
SORT_FIELDS: tuple[SortField, ...] = ("title", "artist", "created_at", "updated_at", "duration")
SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class SongQuery:
    """One page of the catalog: a contains filter, a sort and a window."""

    q: str | None = None
    page: int = 1
    limit: int = 25
    sort: SortField = "title"
    order: SortOrder = "asc"


@dataclass(frozen=True, slots=True)
class SongPage:
    """A page of songs and the total number that matched."""

    items: Sequence[Song]
    total: int


@dataclass(frozen=True, slots=True)
class ImportMatch:
    """An existing song an import row may refer to."""

    song: Song
    match_key: str


class SongStore(Protocol):
    """Stores songs. Implementations keep ``song_id`` unique and ``external_id`` unique when set."""

    async def add(self, song: Song) -> None:
        """Store a new song; raises ``ExternalIdTaken`` when its ``external_id`` is taken."""
        ...

    async def get(self, song_id: str) -> Song | None:
        """The song with this id, or ``None``."""
        ...

    async def replace(self, song: Song) -> bool:
        """Overwrite the stored song with the same id; ``False`` when there is none."""
        ...

    async def delete(self, song_id: str) -> bool:
        """Remove the song; ``False`` when there was none."""
        ...

    async def page(self, query: SongQuery) -> SongPage:
        """A stable page: sorted by ``query.sort`` then ``song_id``; ``q`` matches title or artist."""
        ...

    async def find_for_import(
        self, external_ids: Sequence[str], match_keys: Sequence[str]
    ) -> list[ImportMatch]:
        """Songs whose external id or match key is among those given."""
        ...

    async def write_import(self, added: Sequence[Song], updated: Sequence[Song]) -> None:
        """Insert ``added`` and overwrite ``updated`` in one transaction."""
        ...


class ExternalIdTaken(Exception):
    """A song with the same external id is already stored."""
