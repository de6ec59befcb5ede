"""What a successful command answers, derived only from the state before, the events and the state after.

Because results are derived from recorded events, a repeated command (same ``command_id``) is
answered exactly as the first time by recomputing its result from the stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.rotation.commands import Command
from core.rotation.events import (
    Event,
    KjActionReverted,
    NextSingerCalled,
    PerformanceFinished,
    PerformanceStarted,
    PerformanceVoided,
    ShowOpened,
    SingerJoined,
    SingerSkipped,
    SongRequested,
)
from core.rotation.queue import slot_of
from core.rotation.state import ShowState
from core.rotation.values import SongRef


@dataclass(frozen=True, slots=True)
class Accepted:
    """The command was applied; ``version`` is the stream version after it, ``events`` the type names."""

    command_id: str
    version: int
    events: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ShowStarted:
    """A show was opened with this id and join code."""

    command_id: str
    version: int
    show_id: str
    code: str


@dataclass(frozen=True, slots=True)
class SongRequestAccepted:
    """A request was queued; ``position`` is its 1-based place in the upcoming list and ``eta_seconds`` the
    wait until it starts, as of the moment it was queued (both None while the singer is paused).

    ``already_sung_tonight`` warns that the same song was already performed in this show;
    ``singer_name`` is the name the show knows the singer by (from when they joined).
    """

    command_id: str
    version: int
    request_id: str
    singer_id: str
    singer_name: str
    song: SongRef
    joined: bool
    already_sung_tonight: bool
    position: int | None
    eta_seconds: int | None


@dataclass(frozen=True, slots=True)
class QueueMoved:
    """An advance, skip or void: what finished, who was passed over, what started, which performance was
    voided and who was called next (each may be None)."""

    command_id: str
    version: int
    finished_request_id: str | None
    skipped_request_id: str | None
    started_request_id: str | None
    voided_request_id: str | None = None
    called_request_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActionUndone:
    """The KJ action opened at ``of_seq`` (of kind ``action``) was reverted."""

    command_id: str
    version: int
    action: str
    of_seq: int


CommandResult = Accepted | ShowStarted | SongRequestAccepted | QueueMoved | ActionUndone


def describe(command: Command, before: ShowState, events: Sequence[Event], after: ShowState) -> CommandResult:
    """The answer to ``command`` given the events it produced between ``before`` and ``after``."""
    version = after.version
    command_id = command.command_id
    opened = next((e for e in events if isinstance(e, ShowOpened)), None)
    if opened is not None:
        return ShowStarted(command_id, version, opened.show_id, opened.code)
    requested = next((e for e in events if isinstance(e, SongRequested)), None)
    if requested is not None:
        sung = any(h.outcome == "sung" and h.song.song_id == requested.song_id for h in before.history)
        # Told as of the request's own moment, so a repeated command is answered exactly as the first time.
        slot = slot_of(after, requested.request_id, requested.occurred_at)
        return SongRequestAccepted(
            command_id,
            version,
            requested.request_id,
            requested.singer_id,
            after.singers[requested.singer_id].name,
            after.requests[requested.request_id].song,
            any(isinstance(e, SingerJoined) for e in events),
            sung,
            slot.position if slot else None,
            slot.eta_seconds if slot else None,
        )
    reverted = next((e for e in events if isinstance(e, KjActionReverted)), None)
    if reverted is not None:
        return ActionUndone(command_id, version, reverted.action, reverted.of_seq)
    moved = [e for e in events if isinstance(
        e, PerformanceFinished | PerformanceStarted | SingerSkipped | PerformanceVoided | NextSingerCalled)]
    if moved:
        return QueueMoved(
            command_id,
            version,
            next((e.request_id for e in moved if isinstance(e, PerformanceFinished)), None),
            next((e.request_id for e in moved if isinstance(e, SingerSkipped)), None),
            next((e.request_id for e in moved if isinstance(e, PerformanceStarted)), None),
            next((e.request_id for e in moved if isinstance(e, PerformanceVoided)), None),
            next((e.request_id for e in moved if isinstance(e, NextSingerCalled)), None),
        )
    return Accepted(command_id, version, tuple(type(e).__name__ for e in events))
