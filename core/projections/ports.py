"""What a projection is, and what the runner needs from storage, as ``typing.Protocol`` roles.

A projection is a read-side view built from the shows' event streams. It is pure: given one event of a
show and the show as it stands after that event (the rotation's own fold, so the view can never disagree
with it), it says what changes in its view, as values its storage adapter knows how to write.

Where a projection is in each stream is its checkpoint: per show, the ``seq`` of the last event it
applied. A show's seqs are 1, 2, 3… without gaps and committed in order (``shows.version`` guards every
append), so a checkpoint never skips an event that commits late, which a single position across all
shows would on PostgreSQL (sequence values commit out of order). A projection's changes for a run of
events and its new checkpoint are written in one transaction under the checkpoint's lock (``Claim``), so
each event is applied exactly once however many instances follow the streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from core.rotation.events import Event
from core.rotation.ports import StoredEvent
from core.rotation.state import ShowState


@dataclass(frozen=True, slots=True)
class Step:
    """One event of a show as a projection sees it.

    ``state`` is the show's fold *after* ``event`` (``state.version == seq``). It belongs to the runner
    and changes with the next event: read what you need now, keep nothing of it.
    """

    show_id: str
    seq: int
    event: Event
    state: ShowState


class Projection(Protocol):
    """A read-side view of the shows, built one event at a time.

    Promises the runner relies on: ``apply`` is deterministic (the same events give the same changes,
    so a rebuild equals what was built incrementally), and the changes of a step are idempotent when
    written again after the ones before them (a write that a crash cut short is redone from its
    checkpoint). Events of one show come in stream order; the order between shows is not defined, so a
    view must not depend on it.
    """

    @property
    def name(self) -> str:
        """Names the view (``karaoke projections rebuild NAME``) and its checkpoints."""
        ...

    @property
    def version(self) -> int:
        """Raised when what ``apply`` produces changes: a database built by a lower version is rebuilt."""
        ...

    def apply(self, step: Step) -> Sequence[object]:
        """The changes ``step`` makes to the view (often none), for the projection's storage adapter."""
        ...


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a projection is in one show's stream: ``position`` applied of ``version`` events."""

    show_id: str
    position: int
    version: int

    @property
    def behind(self) -> bool:
        """Whether events of the show wait to be applied."""
        return self.position < self.version


class VersionMismatch(Exception):
    """The view in the database was built by another version of the projection than this process runs."""

    def __init__(self, name: str, stored: int | None, running: int) -> None:
        super().__init__(f"projection {name}: the database holds version {stored}, this process runs {running}")
        self.stored = stored
        self.running = running


class Claim(Protocol):
    """One show's checkpoint of one projection, locked inside an open transaction (see ``ProjectionStore``)."""

    @property
    def position(self) -> int:
        """The seq of the last event applied (0: none), read under the lock."""
        ...

    async def events(self, after: int, until: int) -> list[StoredEvent]:
        """The show's stored events with ``after < seq <= until``, in order (read in the same transaction)."""
        ...

    async def save(self, changes: Sequence[object], position: int) -> None:
        """Write ``changes`` and move the checkpoint to ``position``; committed when the claim ends without error."""
        ...


class ProjectionStore(Protocol):
    """Checkpoints and the views' tables, shared by every instance."""

    async def prepare(self, name: str, version: int) -> str:
        """Register ``name`` at ``version`` before it runs. Answers ``"current"`` (registered at this
        version already, or now), ``"rebuilt"`` (the database held a lower version: its view and checkpoints
        were cleared, atomically with recording the new version) or ``"newer"`` (the database holds a
        higher version than this process runs: leave the view alone)."""
        ...

    async def behind(self, name: str, *, after: str | None = None, limit: int = 500) -> list[Progress]:
        """Shows with events ``name`` has not applied, ordered by show id, starting after ``after``."""
        ...

    async def progress(self, name: str, show_id: str) -> Progress | None:
        """One show's progress, read without locking anything; None for an unknown show."""
        ...

    def claim(self, name: str, version: int, show_id: str) -> AbstractAsyncContextManager[Claim]:
        """Lock the show's checkpoint of ``name`` in a new transaction (waiting for whoever holds it), committed
        when the block ends and rolled back if it raises. Raises ``VersionMismatch`` when the view was
        registered at another ``version`` than the caller runs (another instance rebuilt it meanwhile)."""
        ...

    async def reset(self, name: str, version: int) -> None:
        """Clear the view and its checkpoints and record ``version``, in one transaction that waits for
        every claim in progress; the runners then apply every stream again from its first event."""
        ...
