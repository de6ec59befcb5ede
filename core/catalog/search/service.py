"""Catalog search as a service: the index is built in the background and follows every change.

Changes made in this process reach the index at once (``CatalogService`` tells it as a listener);
changes made by other instances arrive through the catalog's change feed, which ``follow`` reads
when woken (another instance announced a change) and otherwise every ``poll_seconds``, a safety net.
Beside the index it holds the songs themselves (a ``SongShelf``), kept in step the same way, so a
search answers from memory and reads no database: a query per keystroke costs the database nothing.
What this venue's singers picked before (``PickHistory``) decides between versions of one title;
it is read with the index, again every ``PICKS_REFRESH_SECONDS`` while following, and told of
this process's own picks at once (``note_pick``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from core.catalog.search.index import CatalogEntry, SearchIndex, catalog_order
from core.catalog.search.shelf import SongShelf
from core.catalog.song import Song
from core.clock import Monotonic
from core.repeat import NoOutages, Outages, Repeat

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_QUERY = 200
# A change whose seq was skipped may still be committing in another transaction (PostgreSQL hands
# out sequence numbers before commit); such gaps are re-read for this long before giving up.
GAP_PATIENCE_SECONDS = 30.0
# Picks made on other instances reach this one's ranking within this long; counting them is a
# scan of the show events, so it is not done on every poll.
PICKS_REFRESH_SECONDS = 60.0
# The songs sung most that search knows of (enough for any catalog's regulars; a tie between songs sung
# less often than these is rare and costs nothing to lose).
POPULAR_SONGS = 20_000
# Songs read per call while building: the event loop serves between calls, and only one batch of
# full rows waits to be shared out at a time.
BUILD_BATCH = 2_000


class CatalogFeed(Protocol):
    """What search needs from catalog storage."""

    def all_songs(self, batch: int) -> AsyncIterator[Sequence[Song]]:
        """Every song, ``batch`` at a time, read in one pass (one snapshot of the catalog) for building."""
        ...

    async def get_many(self, song_ids: Sequence[str]) -> list[Song]:
        """The songs among ``song_ids`` that exist (read when following changes, never per search)."""
        ...

    async def changes_since(self, seq: int, also: Sequence[int] = ()) -> list[tuple[int, str]]:
        """(seq, song_id) of changes after ``seq`` and of those whose seq is in ``also``, oldest first."""
        ...

    async def last_change(self) -> int:
        """The newest change's seq, 0 if none."""
        ...


class PickHistory(Protocol):
    """What this deployment's singers chose before, as search needs it."""

    async def pick_counts(self) -> Mapping[str, int]:
        """song_id → how many times singers requested that song (songs never requested may be absent)."""
        ...


class Popularity(Protocol):
    """What this deployment's singers actually sing, as search needs it."""

    async def popularity(self, limit: int) -> Mapping[str, int]:
        """song_id → times sung, for the ``limit`` songs sung most."""
        ...


Offload = Callable[[Callable[[], T]], Awaitable[T]]


async def _inline(work: Callable[[], T]) -> T:
    return work()


@dataclass(frozen=True, slots=True)
class FoundSong:
    """A song and how well it matched (0..100)."""

    song: Song
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Matches best first; ``confident`` means the first can be taken without asking."""

    items: tuple[FoundSong, ...]
    confident: bool


class SearchNotReady(Exception):
    """The index is still being built."""


class QueryTooLong(ValueError):
    """A query longer than ``MAX_QUERY`` characters."""


def _entry(song: Song) -> CatalogEntry:
    return CatalogEntry(
        song_id=song.song_id,
        title=song.title,
        artist=song.artist,
        year=song.year,
        catalog_order=catalog_order(song.external_id),
    )


class CatalogSearch:
    """Owns the search index of one process and keeps it in step with the catalog."""

    def __init__(
        self,
        feed: CatalogFeed,
        *,
        monotonic: Monotonic,
        offload: Offload[SearchIndex] = _inline,
        picks: PickHistory | None = None,
        popular: Popularity | None = None,
        outages: Outages | None = None,
    ) -> None:
        """``offload`` runs the CPU-heavy build (the composition root passes a thread runner);
        ``monotonic`` times the build, how long a skipped change number is waited for and when
        ``picks`` (what singers chose before; none means no venue history) and ``popular`` (what they sang)
        are read again. Failures that ``outages`` recognises (the database is down) are logged there, once per
        outage."""
        self._feed = feed
        self._offload = offload
        self._monotonic = monotonic
        self._history = picks
        self._picks: dict[str, int] = {}
        self._popular_source = popular
        self._popular: Mapping[str, int] = {}
        self._picks_read_at: float | None = None
        self._index: SearchIndex | None = None
        self._shelf = SongShelf()
        self._seen = 0
        self._gaps: dict[int, float] = {}
        self._loop: Repeat | None = None
        self._outages: Outages = outages or NoOutages()

    def start(self, poll_seconds: float, wake: asyncio.Event | None = None) -> None:
        """Build the index in the background, then follow catalog changes when ``wake`` is set (another
        instance changed the catalog) or every ``poll_seconds``, whichever comes first.

        A build that fails (the database is not up yet) is tried again after ``poll_seconds``.
        """
        if self._loop is None:
            self._loop = Repeat("search-index", self._keep_up, idle_seconds=poll_seconds, wake=wake,
                                outages=self._outages)
            self._loop.start()

    async def stop(self) -> None:
        """Stop building or following."""
        if self._loop is not None:
            await self._loop.stop()
            self._loop = None

    async def _keep_up(self) -> bool:
        if self._index is None:
            await self.build()
        else:
            await self.follow()
        return False  # look again when woken or after the poll interval

    @property
    def ready(self) -> bool:
        """Whether searches can be answered."""
        return self._index is not None

    @property
    def size(self) -> int:
        """Songs in the index (0 while building)."""
        return len(self._index) if self._index is not None else 0

    async def build(self) -> None:
        """Build the index and the songs it shows from the whole catalog, then catch up with changes
        made meanwhile."""
        started = self._monotonic()
        seen = await self._feed.last_change()
        shelf = SongShelf()
        async for batch in self._feed.all_songs(BUILD_BATCH):
            shelf.put(batch)
        # The index is made of the songs as read, in one pass, so it and the songs shown agree from the start.
        index = await self._offload(lambda: SearchIndex(_entry(song) for song in shelf.all()))
        # What singers here picked and sang, read before the index is in place: once it is, searches are
        # answered (``ready``), and none may rank versions without the venue's history.
        await self._read_picks()
        self._index, self._shelf, self._seen = index, shelf, seen
        await self.follow()
        logger.info("search index ready: %d songs in %.1f s", len(index), self._monotonic() - started)

    async def follow(self) -> int:
        """Apply catalog changes made since the last look (by any instance); returns how many."""
        if self._index is None:
            return 0
        read_at = self._picks_read_at
        if read_at is not None and self._monotonic() - read_at >= PICKS_REFRESH_SECONDS:
            await self._read_picks()
        changes = await self._feed.changes_since(self._seen, sorted(self._gaps))
        if not changes:
            self._expire_gaps()
            return 0
        now = self._monotonic()
        expected = self._seen + 1
        changed: set[str] = set()
        for seq, song_id in changes:
            self._gaps.pop(seq, None)
            if seq > self._seen:
                for missing in range(expected, seq):
                    self._gaps.setdefault(missing, now)
                expected = seq + 1
                self._seen = seq
            changed.add(song_id)
        self._expire_gaps()
        ids = sorted(changed)
        present = {song.song_id: song for song in await self._feed.get_many(ids)}
        self._shelf.put(present.values())
        self._shelf.drop(song_id for song_id in ids if song_id not in present)
        for song_id in ids:
            song = present.get(song_id)
            if song is None:
                self._index.remove(song_id)
            else:
                self._index.add(_entry(song))
        return len(ids)

    async def _read_picks(self) -> None:
        self._picks_read_at = self._monotonic()
        await self._read_popular()
        if self._history is None:
            return
        try:
            counts = await self._history.pick_counts()
        except Exception as error:
            # Venue history only orders versions of a title; search goes on with what it knew.
            if not self._outages.absorbs(error):
                logger.warning("could not read what singers picked before; keeping the last counts", exc_info=True)
            return
        self._picks = {song_id: count for song_id, count in counts.items() if count > 0}

    async def _read_popular(self) -> None:
        if self._popular_source is None:
            return
        try:
            counts = await self._popular_source.popularity(POPULAR_SONGS)
        except Exception as error:
            # Popularity only breaks ties; search goes on with what it knew.
            if not self._outages.absorbs(error):
                logger.warning("could not read what singers sang before; keeping the last counts", exc_info=True)
            return
        self._popular = {song_id: count for song_id, count in counts.items() if count > 0}

    @property
    def popular(self) -> Mapping[str, int]:
        """song_id → times sung here, as search last read it (ties between equal matches go to the more sung)."""
        return self._popular

    def note_pick(self, song_id: str) -> None:
        """A singer of this deployment chose ``song_id``: it counts in the ranking at once."""
        self._picks[song_id] = self._picks.get(song_id, 0) + 1

    def _expire_gaps(self) -> None:
        now = self._monotonic()
        for seq in [s for s, since in self._gaps.items() if now - since > GAP_PATIENCE_SECONDS]:
            del self._gaps[seq]

    def songs_changed(self, songs: Sequence[Song]) -> None:
        """Listener: this process added or changed songs; searchable on return."""
        if self._index is not None:
            self._shelf.put(songs)
            for song in songs:
                self._index.add(_entry(song))

    def songs_removed(self, song_ids: Sequence[str]) -> None:
        """Listener: this process removed songs."""
        if self._index is not None:
            self._shelf.drop(song_ids)
            for song_id in song_ids:
                self._index.remove(song_id)

    async def search(self, query: str, limit: int = 10) -> SearchResult:
        """The best ``limit`` matches for ``query`` with their songs; of several versions of a title
        named without an artist, the one singers here picked most comes first, then the original; of
        other matches that score the same, the one sung here most.

        Raises ``SearchNotReady`` while building and ``QueryTooLong`` past ``MAX_QUERY`` characters.
        Reads no database: each song is shown as this process last heard of it, its own changes at
        once and other instances' from the next ``follow``.
        """
        if len(query) > MAX_QUERY:
            raise QueryTooLong(f"a query is at most {MAX_QUERY} characters")
        if self._index is None:
            raise SearchNotReady("the search index is still being built")
        answer = self._index.search(query, limit, self._picks, self._popular)
        shelf = self._shelf
        # The index and the shelf change together, so every hit is held; the check costs nothing.
        items = tuple(FoundSong(song, hit.score) for hit in answer.hits if (song := shelf.get(hit.song_id)) is not None)
        return SearchResult(items=items, confident=answer.confident and len(items) == len(answer.hits))
