"""The application service: runs commands against stored streams, with retries and idempotency.

Each command: read the events appended since this process last looked, answer from the record
if its ``command_id`` is already in the stream, else decide on the folded state and append at
that version. If another writer got there first the store raises ``ConcurrencyConflict`` and the
cycle is redone on fresh state, after a short random pause, up to ``max_attempts`` times; a
command another instance already applied is then found in the stream and answered from it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from core.clock import Clock, Sleeper
from core.rotation.commands import Command, OpenShow, RequestSong
from core.rotation.decide import decide
from core.rotation.errors import ConcurrencyConflict, NotFound, RotationError, TooBusy
from core.rotation.events import DISRUPTIVE, Event, SingerForgotten, anonymized
from core.rotation.joincode import new_join_code, normalize_join_code
from core.rotation.ports import (
    IdSource,
    Notice,
    NoticePlanner,
    RandomSource,
    RecordedCommand,
    ShowStore,
    StoredEvent,
)
from core.rotation.queue import OwnRequest, QueueView, history, queue_view, singer_requests
from core.rotation.results import CommandResult, ShowStarted, SongRequestAccepted, describe
from core.rotation.settings import ShowSettings
from core.rotation.state import HistoryEntry, ShowState, evolve, fold
from core.rotation.values import ShowPage, SingerRef, SongRef

# Show ids derive from the opening command id so that a retried OpenShow lands on the same show.
_SHOW_NAMESPACE = uuid.UUID("0b7e3f52-4c1a-4d8e-a3b9-5f6e7d8c9b0a")
_CODE_ATTEMPTS = 50
# ETAs are estimates in whole seconds; a show's timer row moving by less than this is not rewritten.
_RESCHEDULE_SLACK = timedelta(seconds=15)


class _Stream:
    """One show's events as far as this process has read them, with the state they fold to.

    Grown only by appending; ``state`` is replaced (never mutated) so readers holding it are safe.
    """

    __slots__ = ("batches", "events", "noticed", "state")

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.state = ShowState()
        # command_id -> first seq of its batch; a batch ends where the next one starts.
        self.batches: dict[str, int] = {}
        # Notices this process stored for the show (key -> due time), so they are not sent again.
        self.noticed: dict[str, datetime] = {}

    @property
    def version(self) -> int:
        return len(self.events)

    def extend(self, stored: Sequence[StoredEvent], after: ShowState | None = None) -> None:
        """Add events read or appended; ``after`` is the state they lead to, when the caller has it."""
        # Reads are not locked: two of them can load the same new events, and only the first may add them.
        if stored and stored[0].seq != self.version + 1:
            after = None  # not a direct continuation of what the caller folded
        stored = [s for s in stored if s.seq > self.version]
        if not stored:
            return
        if after is not None:
            self.state = after
        elif not self.events:
            self.state = fold(s.event for s in stored)
        else:
            self.state = _after(self.state, [s.event for s in stored])
        for item in stored:
            if isinstance(item.event, SingerForgotten):
                # The store rewrote their earlier events; this copy forgets them the same way.
                forgotten = item.event
                self.events = [anonymized(event, forgotten) for event in self.events]
            self.events.append(item.event)
            if item.command_id is not None:
                self.batches[item.command_id] = item.seq
        if any(isinstance(item.event, DISRUPTIVE) for item in stored):
            # What people were told may have been withdrawn since: notices planned again must reach the
            # store again, which tells them anew when they hold again.
            self.noticed.clear()

    def recorded(self, command_id: str) -> RecordedCommand | None:
        first = self.batches.get(command_id)
        if first is None:
            return None
        later = [seq for seq in self.batches.values() if seq > first]
        last = min(later) - 1 if later else self.version
        return RecordedCommand(command_id, first, last)


class _Reading:
    """The loads of one show's new events in this process, taken one at a time and numbered.

    A read that finds a load under way waits for its turn; if a load that began after the read was asked
    for has finished meanwhile, that load saw everything the read's own would have, so the read answers
    from it. Many readers of a busy show thus share a few loads, none of them staler than its own.
    """

    __slots__ = ("finished", "started", "turn", "users")

    def __init__(self) -> None:
        self.turn = asyncio.Lock()
        self.started = 0
        self.finished = 0  # the number of the last load that succeeded
        self.users = 0


class RotationService:
    """Executes rotation commands and answers queries for many shows over a ``ShowStore``.

    Within one process, commands on the same show take turns (a per-show lock), so they never
    collide with each other; across processes the store's optimistic check catches collisions and
    the command is re-decided on fresh state. Each show's stream is cached and only the events
    appended since are read before a command, so deciding costs the same late in a night as early.
    """

    def __init__(
        self,
        store: ShowStore,
        clock: Clock,
        ids: IdSource,
        random: RandomSource,
        sleeper: Sleeper,
        max_attempts: int = 20,
        cached_shows: int = 256,
        notices: NoticePlanner | None = None,
    ) -> None:
        """Wire the service to its ports; ``max_attempts`` bounds retries on concurrency conflicts.

        ``notices`` derives what to tell people from each batch of events; they are stored with the
        batch in the same transaction, so a notice exists exactly when its cause does.
        """
        self._store = store
        self._clock = clock
        self._ids = ids
        self._random = random
        self._sleeper = sleeper
        self._max_attempts = max_attempts
        self._cached_shows = cached_shows
        self._plan_notices = notices
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._reading: dict[str, _Reading] = {}

    async def open_show(
        self, command_id: str, name: str, settings: ShowSettings | None = None
    ) -> ShowStarted:
        """Open a new show with a fresh join code; repeating ``command_id`` returns the same show."""
        show_id = str(uuid.uuid5(_SHOW_NAMESPACE, command_id))
        for _ in range(_CODE_ATTEMPTS):
            code = new_join_code(self._random)
            if await self._store.find_show_by_code(code) is None:
                break
        else:
            raise TooBusy("could not find a free join code; try again")
        result = await self.execute(
            show_id, OpenShow(command_id, show_id, name, code, settings or ShowSettings())
        )
        assert isinstance(result, ShowStarted)
        return result

    async def request_song(
        self, show_id: str, command_id: str, singer: SingerRef, song: SongRef, *, singer_id: str | None = None
    ) -> SongRequestAccepted:
        """Queue ``song`` for ``singer`` (joining them if new), with a fresh request id; a new singer gets
        ``singer_id`` when given (an id they were told before joining the rotation), else a fresh one."""
        command = RequestSong(command_id, singer, song, self._ids.new_id(), singer_id or self._ids.new_id())
        result = await self.execute(show_id, command)
        assert isinstance(result, SongRequestAccepted)
        return result

    async def execute(self, show_id: str, command: Command) -> CommandResult:
        """Apply ``command`` once; a repeated ``command_id`` gets the first answer without new events.

        Raises the ``RotationError`` decide raised, or ``TooBusy`` after ``max_attempts`` conflicts.
        """
        async with self._exclusive(show_id):
            # A cached stream is decided on as it is: if another instance moved the show meanwhile,
            # the append's version check fails and the next attempt reads what it wrote first.
            fresh = show_id not in self._streams
            for attempt in range(self._max_attempts):
                cached = None if fresh else self._streams.get(show_id)
                stream = cached if cached is not None else await self._refresh(show_id)
                recorded = stream.recorded(command.command_id)
                if recorded is not None:
                    return _replay(command, stream.events, recorded)
                before = stream.state
                now = self._clock.now()
                try:
                    new_events = decide(before, command, now)
                except RotationError:
                    if fresh:
                        raise
                    fresh = True  # refused on possibly stale state: look again before answering
                    continue
                after = _after(before, new_events)
                notices = self._notices(stream, after, new_events, now)
                try:
                    appended = await self._store.append(
                        show_id, stream.version, new_events, command.command_id, notices
                    )
                except ConcurrencyConflict:
                    fresh = True
                    # Jitter spreads out writers that collided so they do not collide again in lockstep.
                    await self._sleeper.sleep(0.001 * (1 + self._random.randrange(10)) * (1 + attempt))
                    continue
                stream.extend(
                    [
                        StoredEvent(appended.first_seq + i, event, command.command_id if i == 0 else None)
                        for i, event in enumerate(new_events)
                    ],
                    after,
                )
                stream.noticed.update((n.key, n.due_at) for n in notices)
                self._remember(show_id, stream)
                return describe(command, before, new_events, stream.state)
        raise TooBusy(f"gave up after {self._max_attempts} concurrent updates; try again")

    def _notices(self, stream: _Stream, after: ShowState, events: Sequence[Event], now: datetime) -> list[Notice]:
        if self._plan_notices is None:
            return []
        # Planned at the events' own time, so a notice due "now" is due exactly when its cause happened.
        planned = self._plan_notices(after, events, now)
        # Keys this process already stored for the show would be ignored by the store anyway; a timer
        # row (which the store moves) is sent again only when its time moved by more than a little.
        fresh = []
        for notice in planned:
            stored = stream.noticed.get(notice.key)
            if stored is None or (notice.reschedules and abs(notice.due_at - stored) > _RESCHEDULE_SLACK):
                fresh.append(notice)
        return fresh

    async def state(self, show_id: str) -> ShowState:
        """The current folded state of the show; raises ``NotFound`` for an unknown show."""
        stream = await self._refresh(show_id)
        if not stream.events:
            raise NotFound("there is no such show")
        return stream.state

    async def queue(self, show_id: str) -> QueueView:
        """The queue as it stands now, with ETAs."""
        return queue_view(await self.state(show_id), self._clock.now())

    async def history(self, show_id: str) -> tuple[HistoryEntry, ...]:
        """Finished and skipped performances, oldest first."""
        return history(await self.state(show_id))

    async def my_requests(self, show_id: str, singer: SingerRef) -> tuple[OwnRequest, ...]:
        """The singer's pending requests with their positions; empty if they have not joined."""
        state = await self.state(show_id)
        singer_id = state.singer_of(singer)
        if singer_id is None:
            return ()
        return singer_requests(state, singer_id, self._clock.now())

    async def log(self, show_id: str) -> list[Event]:
        """Every event of the show in stream order (seq = index + 1)."""
        return list((await self._refresh(show_id)).events)

    async def find_show(self, code: str) -> str | None:
        """The id of the open show with this join code (typed loosely), or None."""
        return await self._store.find_show_by_code(normalize_join_code(code))

    async def list_shows(self, status: str | None = None, *, page: int = 1, limit: int = 50) -> ShowPage:
        """A page of shows, most recently opened first, read without folding any of them."""
        return await self._store.list_shows(status, limit=limit, offset=(page - 1) * limit)

    async def version(self, show_id: str) -> int | None:
        """How many events the show has (it changed when this grows), None for an unknown show."""
        return await self._store.version(show_id)

    def drop_cached(self, show_id: str) -> None:
        """Forget this process's copy of the show's stream: its stored events were rewritten (a person
        erased), so the next read folds them afresh."""
        self._streams.pop(show_id, None)

    async def _refresh(self, show_id: str) -> _Stream:
        """The show's stream with every event stored before this call (read with other readers' when they
        ask meanwhile)."""
        reading = self._reading.get(show_id)
        if reading is None:
            reading = self._reading[show_id] = _Reading()
        reading.users += 1
        asked = reading.started
        try:
            async with reading.turn:
                cached = self._streams.get(show_id)
                if reading.finished > asked and cached is not None:
                    return cached  # loaded by a read that began after this one was asked for
                reading.started += 1
                number = reading.started
                stream = await self._load(show_id)
                reading.finished = number
                return stream
        finally:
            reading.users -= 1
            if reading.users == 0:
                del self._reading[show_id]

    async def _load(self, show_id: str) -> _Stream:
        stream = self._streams.get(show_id)
        if stream is None:
            stream = _Stream()
        stored, _ = await self._store.load(show_id, stream.version)
        stream.extend(stored)
        if stream.events:
            self._remember(show_id, stream)
        return stream

    def _remember(self, show_id: str, stream: _Stream) -> None:
        # A concurrent first read may have cached its own copy meanwhile; the longer one wins.
        cached = self._streams.get(show_id)
        if cached is None or cached.version <= stream.version:
            self._streams[show_id] = stream
        self._streams.move_to_end(show_id)
        while len(self._streams) > self._cached_shows:
            self._streams.popitem(last=False)

    @asynccontextmanager
    async def _exclusive(self, show_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(show_id, (asyncio.Lock(), 0))
        self._locks[show_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[show_id]
            if users == 1:
                del self._locks[show_id]
            else:
                self._locks[show_id] = (lock, users - 1)


def _after(state: ShowState, events: Sequence[Event]) -> ShowState:
    for event in events:
        state = evolve(state, event)
    return state


def _replay(command: Command, events: list[Event], recorded: RecordedCommand) -> CommandResult:
    before = fold(events[: recorded.first_seq - 1])
    batch = events[recorded.first_seq - 1 : recorded.last_seq]
    return describe(command, before, batch, _after(before, batch))
