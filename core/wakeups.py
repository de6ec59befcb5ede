"""Wake-ups: a write made anywhere tells every waiter in every instance that it may look again.

A live stream or a worker waits for a wake-up on its channel *or* a slow safety-net timeout,
whichever comes first, instead of reading the database every fraction of a second. What announces
a write is the storage adapter (on PostgreSQL ``pg_notify`` inside the write's own transaction, so
a waiter never wakes before the data is visible; on SQLite in-process, after the commit); what
delivers it is a ``Wakeups``: one per process, fanning each announcement out in memory.

A wake-up carries a key (which show, which song) and, when the writer knows it, a little data
(the show's new version), so a thousand screens of one show need not each read the version back.
A wake-up with ``data`` None says only "look again": it is what waiters get after the adapter lost
announcements (its listening connection dropped) and anything may have changed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from core.clock import Monotonic

logger = logging.getLogger(__name__)

SHOWS = "shows"
"""A show changed; key: the show id, data: its new version."""
CATALOG = "catalog"
"""Songs were added, changed or removed; key: empty."""
INBOX = "inbox"
"""Updates were stored for the inbox worker; key: the platform."""
OUTBOX = "outbox"
"""Replies or messages were queued for sending; key: the platform (empty when several)."""
NOTICES = "notices"
"""A notice due at once was stored; key: the show id."""
CHANNELS = (SHOWS, CATALOG, INBOX, OUTBOX, NOTICES)

Listener = Callable[[str, "str | None"], None]
"""Called with (key, data) for each wake-up; data None means "look again, anything may have changed"."""


class Wakeups(Protocol):
    """Delivers announced writes to the waiters of this process."""

    def listen(self, channel: str, key: str | None, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every wake-up on ``channel`` (for ``key`` only, or all keys when None).

        Returns the function that stops it. A listener runs on the event loop and must not block.
        """
        ...

    def notify(self, channel: str, key: str, data: str | None = None) -> None:
        """Wake this process's listeners of ``channel``/``key`` now (the in-process announcement)."""
        ...


class Fanout:
    """The in-memory half of every ``Wakeups``: who listens to what, and handing a wake-up to them."""

    def __init__(self) -> None:
        self._listeners: dict[tuple[str, str | None], dict[int, Listener]] = {}
        self._next = 0

    def listen(self, channel: str, key: str | None, listener: Listener) -> Callable[[], None]:
        """See ``Wakeups.listen``."""
        slot = (channel, key)
        token = self._next
        self._next += 1
        self._listeners.setdefault(slot, {})[token] = listener

        def stop() -> None:
            found = self._listeners.get(slot)
            if found is not None:
                found.pop(token, None)
                if not found:
                    del self._listeners[slot]

        return stop

    def notify(self, channel: str, key: str, data: str | None = None) -> None:
        """Hand a wake-up to the listeners of ``channel`` for ``key`` and to those of the whole channel."""
        for slot in ((channel, key), (channel, None)):
            for listener in list(self._listeners.get(slot, {}).values()):
                self._call(listener, key, data)

    def wake_all(self) -> None:
        """Tell every listener to look again: announcements may have been lost (``data`` None)."""
        for (_, key), listeners in list(self._listeners.items()):
            for listener in list(listeners.values()):
                self._call(listener, key or "", None)

    def listening(self, channel: str) -> int:
        """How many listeners wait on ``channel`` (any key)."""
        return sum(len(found) for (name, _), found in self._listeners.items() if name == channel)

    @staticmethod
    def _call(listener: Listener, key: str, data: str | None) -> None:
        try:
            listener(key, data)
        except Exception:
            # One broken waiter must not keep the wake-up from the others.
            logger.exception("a wake-up listener failed")


class LocalWakeups(Fanout):
    """``Wakeups`` within one process: what was announced here is all there is (SQLite, tests)."""


class Subscription:
    """One waiter's view of a channel: wait for the next wake-up or a timeout, whichever comes first.

    Wake-ups that arrive while the holder is busy are kept (their newest data), so none is missed
    between two waits. Use it as a context manager, or call ``close``.
    """

    def __init__(self, wakeups: Wakeups, channel: str, key: str | None = None) -> None:
        """Start listening at once: what is announced from here on reaches the next ``wait``."""
        self._woken = asyncio.Event()
        self._data: str | None = None
        self._look_again = False
        self._stop = wakeups.listen(channel, key, self._arrived)

    def _arrived(self, _key: str, data: str | None) -> None:
        if data is None:
            self._look_again = True
        else:
            self._data = data
        self._woken.set()

    async def wait(self, at_most: float | None) -> Wake | None:
        """The wake-ups since the last call, or None when ``at_most`` seconds passed without one."""
        if not self._woken.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(at_most):
                    await self._woken.wait()
            if not self._woken.is_set():
                return None
        wake = Wake(data=self._data, look_again=self._look_again)
        self._woken.clear()
        self._data, self._look_again = None, False
        return wake

    def close(self) -> None:
        """Stop listening."""
        self._stop()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Wake:
    """What a ``Subscription.wait`` saw: the newest data announced, and whether to look again anyway."""

    __slots__ = ("data", "look_again")

    def __init__(self, data: str | None, look_again: bool) -> None:
        self.data = data
        self.look_again = look_again

    def __repr__(self) -> str:
        return f"Wake(data={self.data!r}, look_again={self.look_again})"


def forward(wakeups: Wakeups, channel: str, event: asyncio.Event) -> Callable[[], None]:
    """Set ``event`` on every wake-up on ``channel`` (a worker's wake-up event); returns the stop function."""

    def wake(_key: str, _data: str | None) -> None:
        event.set()

    return wakeups.listen(channel, None, wake)


class LiveVersions:
    """The latest version of each show watched in this process, kept current by wake-ups.

    Every stream of a show shares one entry: a wake-up on ``SHOWS`` carries the new version, so a
    thousand screens cost no read at all; the version is read from the store only when nobody has
    known it for ``max_age`` seconds (the safety net) or after a "look again", and then once for all
    of the show's streams (concurrent askers share the read).
    """

    def __init__(
        self,
        wakeups: Wakeups,
        read: Callable[[str], Awaitable[int | None]],
        monotonic: Monotonic,
        *,
        max_age: float,
    ) -> None:
        """``read`` gives a show's version from the store (None for no such show)."""
        self._wakeups = wakeups
        self._read = read
        self._monotonic = monotonic
        self.max_age = max_age
        self._shows: dict[str, _Watched] = {}

    def watch(self, show_id: str) -> ShowWatch:
        """Follow ``show_id`` until the returned watch is closed."""
        self._sweep()
        watched = self._shows.get(show_id)
        if watched is None:
            watched = self._shows[show_id] = _Watched(self, show_id)
        return ShowWatch(watched)

    async def version(self, show_id: str) -> int | None:
        """The show's version as known here (read if it is not known fresh), None for no such show."""
        with self.watch(show_id) as watch:
            return await watch.current()

    @property
    def watched(self) -> int:
        """How many shows have an entry (watched now or lately)."""
        return len(self._shows)

    def _sweep(self) -> None:
        # Entries nobody watches are kept a while (a screen reconnecting finds its show known), then dropped.
        now = self._monotonic()
        for show_id, watched in list(self._shows.items()):
            if watched.users == 0 and now - watched.left_at >= self.max_age:
                watched.stop()
                del self._shows[show_id]


class _Watched:
    def __init__(self, board: LiveVersions, show_id: str) -> None:
        self._board = board
        self.show_id = show_id
        self.version: int | None = None
        self.known_at: float | None = None
        self.generation = 0
        self.users = 0
        self.left_at = 0.0
        self.changed = asyncio.Event()
        self._reading: asyncio.Task[int | None] | None = None
        self.stop = board._wakeups.listen(SHOWS, show_id, self._heard)

    def _heard(self, _key: str, data: str | None) -> None:
        if data is None:
            self.known_at = None  # announcements were lost: read again before trusting the version
        else:
            try:
                version = int(data)
            except ValueError:
                self.known_at = None
            else:
                self._learn(version)
        self._broadcast()

    def _learn(self, version: int | None) -> None:
        self.known_at = self._board._monotonic()
        # Versions only grow: a read that started before a wake-up may come back with an older one.
        if version is not None and (self.version is None or version > self.version):
            self.version = version
        elif version is None:
            self.version = None

    def _broadcast(self) -> None:
        self.generation += 1
        self.changed.set()
        self.changed = asyncio.Event()

    async def current(self) -> int | None:
        known = self.known_at
        if known is not None and self._board._monotonic() - known < self._board.max_age:
            return self.version
        if self._reading is None:
            self._reading = asyncio.get_running_loop().create_task(self._read())
        return await asyncio.shield(self._reading)

    async def _read(self) -> int | None:
        try:
            started = self._board._monotonic()
            version = await self._board._read(self.show_id)
            before = self.version
            self._learn(version)
            self.known_at = started  # fresh as of when the read began, not when it ended
            if self.version != before:
                self._broadcast()
            return self.version
        finally:
            self._reading = None


class ShowWatch:
    """One stream's hold on a show's shared entry in ``LiveVersions``."""

    def __init__(self, watched: _Watched) -> None:
        self._watched = watched
        self._seen = watched.generation
        self._closed = False
        watched.users += 1

    async def current(self) -> int | None:
        """The show's version (None: no such show); read from the store only when not known fresh."""
        self._seen = self._watched.generation
        return await self._watched.current()

    async def changed(self, at_most: float) -> bool:
        """Wait until the show may have changed since ``current`` was last asked, at most ``at_most`` seconds."""
        watched = self._watched
        if watched.generation != self._seen:
            return True
        # ``timeout`` rather than ``wait_for``: no task per wait, which counts with a thousand streams waking at once.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await watched.changed.wait()
        return watched.generation != self._seen

    def close(self) -> None:
        """Stop holding the entry."""
        if not self._closed:
            self._closed = True
            self._watched.users -= 1
            self._watched.left_at = self._watched._board._monotonic()

    def __enter__(self) -> ShowWatch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
