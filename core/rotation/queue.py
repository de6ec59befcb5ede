"""Read side: what the screen and the bots show — the queue with ETAs, the history, a singer's requests.

ETAs are estimates in whole seconds from ``now``: the current song's remaining time (its duration,
or ``default_song_seconds`` if unknown, minus the time since it started, never below zero), then
each upcoming song's duration, with ``changeover_seconds`` between consecutive songs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from core.rotation.policies import upcoming
from core.rotation.state import HistoryEntry, ShowState
from core.rotation.values import SongRef


@dataclass(frozen=True, slots=True)
class SingerInfo:
    """A singer as shown in the queue."""

    singer_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Slot:
    """One line of the queue; ``position`` is 0 for the current performance, 1.. for upcoming."""

    request_id: str
    singer: SingerInfo
    song: SongRef
    position: int
    eta_seconds: int


@dataclass(frozen=True, slots=True)
class QueueView:
    """The queue at a moment: who sings now, who comes next, and the stream version it reflects."""

    now: Slot | None
    upcoming: tuple[Slot, ...]
    version: int


@dataclass(frozen=True, slots=True)
class OwnRequest:
    """One of a singer's own pending requests with its place in the upcoming list.

    ``position`` and ``eta_seconds`` are None while the singer is paused (they are passed over).
    """

    request_id: str
    song: SongRef
    position: int | None
    eta_seconds: int | None


def song_seconds(state: ShowState, song: SongRef) -> int:
    """The duration used for estimates: the song's own, else the show's ``default_song_seconds``."""
    return song.duration if song.duration is not None else state.settings.default_song_seconds


def queue_view(state: ShowState, now: datetime) -> QueueView:
    """The current performance and the predicted upcoming list with cumulative ETAs at ``now``."""
    current = _slot(state, state.now, 0, 0) if state.now is not None else None
    return QueueView(current, tuple(upcoming_slots(state, now)), state.version)


def upcoming_slots(state: ShowState, now: datetime) -> Iterator[Slot]:
    """The upcoming list of ``queue_view``, one slot at a time (a reader who needs the front stops early)."""
    eta = 0
    gap = state.settings.changeover_seconds
    if state.now is not None:
        song = state.requests[state.now].song
        elapsed = 0.0
        if state.now_started_at is not None:
            elapsed = max(0.0, (now - state.now_started_at).total_seconds())
        eta = max(0, round(song_seconds(state, song) - elapsed)) + gap
    for position, request_id in enumerate(upcoming(state), start=1):
        slot = _slot(state, request_id, position, eta)
        yield slot
        eta += song_seconds(state, slot.song) + gap


def slot_of(state: ShowState, request_id: str, now: datetime) -> Slot | None:
    """Where ``request_id`` stands in the upcoming list at ``now``; None when it is not waiting in line."""
    return next((slot for slot in upcoming_slots(state, now) if slot.request_id == request_id), None)


def _slot(state: ShowState, request_id: str, position: int, eta: int) -> Slot:
    request = state.requests[request_id]
    singer = state.singers[request.singer_id]
    return Slot(request_id, SingerInfo(singer.singer_id, singer.name), request.song, position, eta)


def history(state: ShowState) -> tuple[HistoryEntry, ...]:
    """Performances finished and singers skipped, oldest first (undone ones are gone)."""
    return tuple(state.history)


def singer_requests(state: ShowState, singer_id: str, now: datetime) -> tuple[OwnRequest, ...]:
    """The singer's pending requests in their own order, with positions/ETAs from ``queue_view``."""
    by_id = {slot.request_id: slot for slot in queue_view(state, now).upcoming}
    result: list[OwnRequest] = []
    for request_id in state.pending_of(singer_id):
        slot = by_id.get(request_id)
        result.append(
            OwnRequest(
                request_id,
                state.requests[request_id].song,
                slot.position if slot else None,
                slot.eta_seconds if slot else None,
            )
        )
    return tuple(result)
