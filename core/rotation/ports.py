"""Ports the rotation service needs from the outside world, as ``typing.Protocol`` roles.

Storage contract (``ShowStore``), in terms a single SQL table can implement::

    show_events(show_id, seq, type, payload JSON, command_id NULL, occurred_at)
    UNIQUE (show_id, seq), UNIQUE (show_id, command_id)

- A show's stream is its rows ordered by ``seq``; seqs are 1, 2, 3... without gaps.
- The version of a stream is its highest seq (0 for a show with no events).
- Every append is one batch produced by one command; ``command_id`` is written on the first row of
  the batch only, so batch boundaries are the rows with a non-null ``command_id``.
- ``type``/``payload`` are ``core.rotation.codec.event_to_dict(event)``; ``occurred_at`` duplicates
  ``event.occurred_at`` for querying.
- A show's name and join code come from its ``ShowOpened`` event and it is closed once a
  ``ShowClosed`` event exists; a store may index these (a side table or an expression index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from core.rotation.events import Event
from core.rotation.values import ShowPage

if TYPE_CHECKING:
    from core.rotation.state import ShowState


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event at its place ``seq`` (1-based) in its show's stream.

    ``command_id`` is set on the first event of each appended batch and None on the others.
    """

    seq: int
    event: Event
    command_id: str | None


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an appended batch landed: seqs ``first_seq..last_seq``; ``last_seq`` is the new version."""

    first_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class RecordedCommand:
    """A command already applied to a show: its batch occupies seqs ``first_seq..last_seq``."""

    command_id: str
    first_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell someone about a show, stored in the same transaction as the events causing it.

    ``key`` is unique forever: storing the same key again changes nothing, unless the notice
    ``reschedules`` (a show's one timer row), whose stored row then moves to the new due time and is
    pending again. ``status`` is ``"pending"`` (to be looked at from ``due_at``) or
    ``"suppressed"`` (recorded only so that the key is taken and the notice never goes out). The
    rotation does not interpret notices; ``core.reminders`` plans and delivers them.
    """

    key: str
    show_id: str
    request_id: str | None
    kind: str
    due_at: datetime
    status: str = "pending"
    detail: str | None = None
    reschedules: bool = False


class NoticePlanner(Protocol):
    """Derives the notices a batch of events causes (``core.reminders.plan_notices`` in production)."""

    def __call__(self, state: ShowState, events: Sequence[Event], now: datetime) -> Sequence[Notice]:
        """The notices for the show as ``events`` (just decided) left it in ``state``."""
        ...




class ShowStore(Protocol):
    """Append-only, optimistically concurrent storage of show event streams."""

    async def load(self, show_id: str, after_seq: int = 0) -> tuple[list[StoredEvent], int]:
        """The show's events with seq > ``after_seq`` in order, and the version they reach.

        The version is the last seq returned, or ``after_seq`` when there is nothing newer
        (``([], 0)`` for an unknown show).
        """
        ...

    async def append(
        self,
        show_id: str,
        expected_version: int,
        events: Sequence[Event],
        command_id: str,
        notices: Sequence[Notice] = (),
    ) -> AppendResult:
        """Atomically append ``events`` (non-empty) at seqs ``expected_version + 1 ...``.

        ``notices`` are stored in the same transaction (a key already stored is left as it is, unless
        the notice ``reschedules``); a failed append stores none of them.

        ``command_id`` is recorded on the first event of the batch. Raises
        ``core.rotation.errors.ConcurrencyConflict`` and writes nothing if the show's version is not
        ``expected_version`` or ``command_id`` was already recorded for this show (with a SQL table,
        both surface as a UNIQUE violation). Appending at version 0 creates the show.
        """
        ...

    async def find_show_by_code(self, code: str) -> str | None:
        """The id of the open (not closed) show whose join code is ``code`` (case-insensitive), or None."""
        ...

    async def list_shows(self, status: str | None = None, *, limit: int = 50, offset: int = 0) -> ShowPage:
        """Shows most recently opened first (ties by id), ``status`` "open" or "closed" or either."""
        ...

    async def version(self, show_id: str) -> int | None:
        """The show's current version (its last seq), or None for an unknown show; one cheap read."""
        ...


class IdSource(Protocol):
    """Makes new unique ids (UUID text) for shows, requests and singers."""

    def new_id(self) -> str:
        """A fresh id never returned before."""
        ...


class RandomSource(Protocol):
    """Randomness for join codes and retry jitter (``random.Random`` and ``secrets.SystemRandom`` fit)."""

    def randrange(self, stop: int, /) -> int:
        """A uniformly random int in ``range(stop)``."""
        ...

