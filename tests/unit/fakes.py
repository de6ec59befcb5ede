"""Hand-written fakes of core's ports, for unit tests."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from core.catalog import ExternalIdTaken, ImportMatch, Song, SongPage, SongQuery, match_key, sort_key
from core.chat import ChatEvent, Reply
from core.delivery import InboxItem, OutboxItem, Outgoing, answers_press, bucket_of


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 11, 28, 20, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class InMemorySongStore:
    """``SongStore`` and ``CatalogFeed`` over a dict and a list of changes, kept as the SQL tables keep them.

    The contract tests in ``tests/contracts`` hold it to the same promises as ``SqlSongStore``.
    """

    def __init__(self) -> None:
        self.songs: dict[str, Song] = {}
        self.changes: list[tuple[int, str]] = []
        self.writes = 0

    def _changed(self, *song_ids: str) -> None:
        for song_id in song_ids:
            self.changes.append((len(self.changes) + 1, song_id))

    def _check_external(self, song: Song) -> None:
        if song.external_id and any(
            s.external_id == song.external_id and s.song_id != song.song_id for s in self.songs.values()
        ):
            raise ExternalIdTaken(song.external_id)

    async def add(self, song: Song) -> None:
        if song.song_id in self.songs:
            raise ExternalIdTaken(song.song_id)
        self._check_external(song)
        self.songs[song.song_id] = song
        self._changed(song.song_id)
        self.writes += 1

    async def get(self, song_id: str) -> Song | None:
        return self.songs.get(song_id)

    async def get_many(self, song_ids: Sequence[str]) -> list[Song]:
        return [self.songs[i] for i in dict.fromkeys(song_ids) if i in self.songs]

    async def replace(self, song: Song) -> bool:
        current = self.songs.get(song.song_id)
        if current is None:
            return False
        self._check_external(song)
        # As an UPDATE of every column but the id and the creation time.
        self.songs[song.song_id] = replace(song, created_at=current.created_at)
        self._changed(song.song_id)
        self.writes += 1
        return True

    async def delete(self, song_id: str) -> bool:
        self.writes += 1
        if self.songs.pop(song_id, None) is None:
            return False
        self._changed(song_id)
        return True

    async def page(self, query: SongQuery) -> SongPage:
        items = list(self.songs.values())
        if query.q:
            needle = sort_key(query.q)
            items = [s for s in items if needle in sort_key(s.title) or needle in sort_key(s.artist)]
        items.sort(key=lambda s: s.song_id)
        if query.sort in ("title", "artist"):
            items.sort(key=lambda s: sort_key(getattr(s, query.sort)), reverse=query.order == "desc")
        else:
            known = [s for s in items if getattr(s, query.sort) is not None]
            known.sort(key=lambda s: getattr(s, query.sort), reverse=query.order == "desc")
            # Unknown durations sort last in either direction.
            items = known + [s for s in items if getattr(s, query.sort) is None]
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
        for song in added:
            self._check_external(song)
        for song in added:
            self.songs[song.song_id] = song
        for song in updated:
            current = self.songs.get(song.song_id)
            if current is not None:
                self.songs[song.song_id] = replace(song, created_at=current.created_at)
        self._changed(*(s.song_id for s in (*added, *updated)))
        self.writes += 1

    async def all_songs(self, batch: int) -> AsyncIterator[list[Song]]:
        listed = list(self.songs.values())
        for start in range(0, len(listed), batch):
            yield listed[start : start + batch]

    async def count(self) -> int:
        return len(self.songs)

    async def changes_since(self, seq: int, also: Sequence[int] = ()) -> list[tuple[int, str]]:
        wanted = set(also)
        return [c for c in self.changes if c[0] > seq or c[0] in wanted][:10_000]

    async def last_change(self) -> int:
        return self.changes[-1][0] if self.changes else 0


class RecordingListener:
    """A catalog listener that remembers what it was told."""

    def __init__(self) -> None:
        self.changed: list[str] = []
        self.removed: list[str] = []

    def songs_changed(self, songs: Sequence[Song]) -> None:
        self.changed += [s.song_id for s in songs]

    def songs_removed(self, song_ids: Sequence[str]) -> None:
        self.removed += list(song_ids)


@dataclass
class _Queued:
    """One row of the outbox as the SQL table holds it."""

    item_id: int
    key: str
    platform: str
    reply: Reply
    context: dict[str, str]
    chat: str
    group: bool
    available_at: datetime
    attempts: int = 0
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = None
    free_of_limits: bool = False


class InMemoryOutbox:
    """``Outbox`` in a dict, with the SQL table's promises (checked in ``tests/contracts``).

    It also notes what was asked of it, for the delivery tests: ``delivered_ids``,
    ``delivered_batches`` and ``delivered_free`` (sent through a free channel), ``routes`` (where sends
    went that were queued elsewhere), ``retried``,
    ``failed_ids``, ``postponed`` and ``history_reads``.
    """

    def __init__(self) -> None:
        self.rows: dict[str, _Queued] = {}
        self._ids = itertools.count(1)
        self.delivered_ids: list[int] = []
        self.delivered_batches: list[list[int]] = []
        self.delivered_free: list[int] = []
        self.retried: list[tuple[int, datetime]] = []
        self.failed_ids: list[tuple[int, str]] = []
        self.postponed: list[tuple[int, datetime]] = []
        self.routes: dict[int, tuple[str, bool]] = {}
        self.history_reads = 0

    def seed(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """Put rows as if queued earlier and already tried ``attempts - 1`` times (a claim adds one)."""
        for item in items:
            self.rows[item.key] = _Queued(item.item_id, item.key, item.platform, item.reply, dict(item.context),
                                          item.chat, item.group, now, item.attempts - 1)

    def seed_sent(self, platform: str, chat: str, group: bool, at: datetime) -> None:
        """A send some instance made at ``at``, as the rate limits count it."""
        item_id = -next(self._ids)
        self.rows[f"sent:{item_id}"] = _Queued(item_id, f"sent:{item_id}", platform, Reply(None, None, ""), {},
                                               chat, group, at, 1, sent_at=at)

    def messages(self) -> list[Outgoing]:
        """Every queued message, in the order queued."""
        rows = sorted((r for r in self.rows.values() if r.item_id > 0), key=lambda r: r.item_id)
        return [Outgoing(r.key, r.platform, r.reply, dict(r.context)) for r in rows]

    def refuse(self, key: str, reason: str, now: datetime) -> None:
        """The platform refused the message under ``key`` for good (as a dispatcher would record it)."""
        row = self.rows[key]
        row.failed_at, row.last_error = now, reason

    def failures(self, prefix: str, since: datetime) -> list[tuple[str, dict[str, str], str]]:
        """(key, context, reason) of messages whose key starts with ``prefix`` that failed since ``since``."""
        return [(r.key, dict(r.context), r.last_error or "") for r in self.rows.values()
                if r.failed_at is not None and r.failed_at >= since and r.key.startswith(prefix)]

    def waiting(self) -> int:
        """Rows neither sent nor failed."""
        return sum(1 for r in self.rows.values() if r.sent_at is None and r.failed_at is None)

    def _row(self, item_id: int) -> _Queued:
        return next(r for r in self.rows.values() if r.item_id == item_id)

    async def enqueue(self, replies: Sequence[Outgoing], now: datetime) -> None:
        for item in replies:
            if item.key in self.rows:
                continue  # a key is queued once, however often it is queued
            chat, group = bucket_of(item.reply, answers_press(item))
            self.rows[item.key] = _Queued(next(self._ids), item.key, item.platform, item.reply, dict(item.context),
                                          chat, group, now)

    async def claim(self, platform: str, limit: int, now: datetime, lease_seconds: float = 60) -> list[OutboxItem]:
        due = sorted((r for r in self.rows.values() if r.platform == platform and r.sent_at is None
                      and r.failed_at is None and r.available_at <= now), key=lambda r: r.item_id)[:limit]
        for row in due:
            row.available_at = now + timedelta(seconds=lease_seconds)
            row.attempts += 1
        return [OutboxItem(r.item_id, r.key, r.platform, r.reply, dict(r.context), r.attempts, r.chat, r.group)
                for r in due]

    async def delivered(self, item_id: int, now: datetime) -> None:
        await self.delivered_many([item_id], now)

    async def delivered_many(self, item_ids: Sequence[int], now: datetime,
                             routes: Mapping[int, tuple[str, bool]] | None = None,
                             free_of_limits: Collection[int] = ()) -> None:
        if not item_ids:
            return
        await asyncio.sleep(0)  # a real write waits on the database; other sends finish meanwhile
        for item_id in item_ids:
            row = self._row(item_id)
            row.sent_at, row.free_of_limits = now, item_id in free_of_limits
        for item_id, (chat, group) in (routes or {}).items():
            row = self._row(item_id)
            row.chat, row.group = chat, group
        self.routes.update(routes or {})
        self.delivered_ids += item_ids
        self.delivered_batches.append(list(item_ids))
        self.delivered_free += [item_id for item_id in item_ids if item_id in free_of_limits]

    async def retry(self, item_id: int, at: datetime, reason: str) -> None:
        row = self._row(item_id)
        row.available_at, row.last_error = at, reason[:500]
        self.retried.append((item_id, at))

    async def failed(self, item_id: int, reason: str, now: datetime) -> None:
        row = self._row(item_id)
        row.failed_at, row.last_error = now, reason[:500]
        self.failed_ids.append((item_id, reason))

    async def postpone(self, item_id: int, at: datetime) -> None:
        row = self._row(item_id)
        row.available_at, row.attempts = at, row.attempts - 1
        self.postponed.append((item_id, at))

    async def recent_sends(self, platform: str, since: datetime) -> list[tuple[str, bool, datetime]]:
        self.history_reads += 1
        # Rows settled in one write (one coalesced message) share a stamp and count once, as in SQL.
        return list(dict.fromkeys((r.chat, r.group, r.sent_at) for r in self.rows.values()
                                  if r.platform == platform and r.sent_at is not None and r.sent_at >= since
                                  and not r.free_of_limits))


@dataclass
class _Stored:
    """One row of the inbox as the SQL table holds it."""

    item_id: int
    event: ChatEvent
    context: dict[str, str]
    available_at: datetime
    attempts: int = 0
    handled_at: datetime | None = None
    last_error: str | None = None


class InMemoryInbox:
    """``Inbox`` in a dict, finishing into an ``InMemoryOutbox``, with the SQL tables' promises.

    It also notes ``finished`` (item id -> its replies), ``finish_batches`` and ``released``.
    """

    def __init__(self, clock: FakeClock, outbox: InMemoryOutbox | None = None) -> None:
        self.clock = clock
        self.outbox = outbox or InMemoryOutbox()
        self.rows: dict[tuple[str, str], _Stored] = {}
        self._ids = itertools.count(1)
        self.arrived = asyncio.Event()
        self.finished: dict[int, list[Outgoing]] = {}
        self.finish_batches: list[list[int]] = []
        self.released: list[int] = []

    def seed(self, items: Sequence[InboxItem]) -> None:
        """Put updates as if stored earlier, keeping their ids."""
        for item in items:
            self.rows[(item.event.room.platform, item.event.update_key)] = _Stored(
                item.item_id, item.event, dict(item.context), self.clock.now(), item.attempts)

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        return (await self.put_many([(event, context or {})]))[0]

    async def put_many(self, events: Sequence[tuple[ChatEvent, Mapping[str, str]]]) -> list[bool]:
        flags = []
        for event, context in events:
            key = (event.room.platform, event.update_key)
            if key in self.rows:
                flags.append(False)
                continue
            self.rows[key] = _Stored(next(self._ids), event, dict(context), self.clock.now())
            flags.append(True)
        if any(flags):
            self.arrived.set()
        return flags

    async def claim(self, limit: int, now: datetime, lease_seconds: float = 60) -> list[InboxItem]:
        due = sorted((r for r in self.rows.values() if r.handled_at is None and r.available_at <= now),
                     key=lambda r: r.item_id)[:limit]
        for row in due:
            row.available_at = now + timedelta(seconds=lease_seconds)
            row.attempts += 1
        return [InboxItem(r.item_id, r.event, dict(r.context), r.attempts) for r in due]

    async def finish(self, item_id: int, replies: Sequence[Outgoing], now: datetime) -> None:
        await self.finish_many([(item_id, replies)], now)

    async def finish_many(self, finished: Sequence[tuple[int, Sequence[Outgoing]]], now: datetime) -> None:
        if not finished:
            return
        await asyncio.sleep(0)  # a real write waits on the database; other rooms finish meanwhile
        await self.outbox.enqueue([reply for _, replies in finished for reply in replies], now)
        for item_id, replies in finished:
            next(r for r in self.rows.values() if r.item_id == item_id).handled_at = now
            self.finished[item_id] = list(replies)
        self.finish_batches.append([item_id for item_id, _ in finished])

    async def release(self, item_id: int, error: str, retry_at: datetime) -> None:
        row = next(r for r in self.rows.values() if r.item_id == item_id)
        row.available_at, row.last_error = retry_at, error[:500]
        self.released.append(item_id)

    async def pending(self) -> int:
        return sum(1 for r in self.rows.values() if r.handled_at is None)


class FakeWakeups:
    """``core.wakeups.Wakeups`` by hand: delivers what the test announces, and shows who listens."""

    def __init__(self) -> None:
        self.listeners: list[tuple[str, str | None, Callable[[str, str | None], None]]] = []

    def listen(self, channel: str, key: str | None, listener: Callable[[str, str | None], None]) -> Callable[[], None]:
        entry = (channel, key, listener)
        self.listeners.append(entry)

        def stop() -> None:
            if entry in self.listeners:
                self.listeners.remove(entry)

        return stop

    def notify(self, channel: str, key: str, data: str | None = None) -> None:
        for name, wanted, listener in list(self.listeners):
            if name == channel and wanted in (None, key):
                listener(key, data)

    def lost_announcements(self) -> None:
        """As after the listening connection dropped: everyone is told to look again."""
        for _, key, listener in list(self.listeners):
            listener(key or "", None)


class FakeMonotonic:
    """Seconds that pass only when told to."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds
