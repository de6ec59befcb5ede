"""The Performances projection: one row per performance of every show, read from the rotation's own fold.

A row is one turn that ended: a song sung, a called singer who sat out (``skipped``) or was passed over by
the KJ (``no-show``), a performance voided at the mic (``voided``, ``/skip now``), and the song at the mic
when the show closed (``unfinished``). The rows of a show are exactly the fold's ``history`` in its order
(``ordinal`` = place in it, from 1), plus at most one ``unfinished`` row after them; where the fold takes
history back (an undo, which is an event in the log), the projection deletes those rows too. Only
``sung`` rows are songs the fold counts as sung.

How each outcome is decided, from the log as the fold sees it:

- ``sung``: ``PerformanceFinished`` (``/next``); started when its ``PerformanceStarted`` put it at the mic.
- ``voided``: ``PerformanceVoided`` (``/skip now``): the performer never came to the mic; the song waits
  again, and may come back as a later row.
- ``no-show``: ``SingerSkipped`` in a KJ's skip (``/skip``, the no-show prompt's Skip, or the automatic
  skip): the batch opens with ``KjActionTaken("skip")`` right before it.
- ``skipped``: any other ``SingerSkipped``: the singer sat out their turn themselves.
- ``unfinished``: ``ShowClosed`` while someone was at the mic (the fold never counts it as sung).

The singer is recorded as they were at the time (their name then, and their person when known); when a
singer is forgotten (``SingerForgotten``), every row of theirs in that show takes the anonymous name and
loses the person, as the rewritten log would give on a rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol

from core.projections.ports import Step
from core.rotation.events import (
    Event,
    KjActionReverted,
    PerformanceFinished,
    PerformanceVoided,
    ShowClosed,
    SingerForgotten,
    SingerSkipped,
)
from core.rotation.state import HistoryEntry, ShowState, fold_onto

PERFORMANCES = "performances"

Outcome = Literal["sung", "skipped", "voided", "no-show", "unfinished"]
OUTCOMES: tuple[Outcome, ...] = ("sung", "skipped", "voided", "no-show", "unfinished")


@dataclass(frozen=True, slots=True)
class Performance:
    """One ended turn of a show (see the module's docstring for the outcomes).

    ``singer_id`` is the show's own singer id; ``person_id`` the person behind them when the log knew it;
    ``singer_name`` their name at the time. ``requested_at`` is when the song was asked for and
    ``wait_seconds`` how long from then to ``started_at`` (for ``skipped`` and ``no-show``: to the moment
    they were passed over, which is both ``started_at`` and ``finished_at``). ``seq`` is the event that
    ended the turn.
    """

    show_id: str
    ordinal: int
    request_id: str
    singer_id: str
    person_id: str | None
    singer_name: str
    song_id: str
    title: str
    artist: str
    duration: int | None
    requested_at: datetime
    started_at: datetime
    finished_at: datetime
    outcome: Outcome
    wait_seconds: int
    seq: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """Insert ``performance``, or replace the row of its show at its ordinal."""

    performance: Performance


@dataclass(frozen=True, slots=True)
class Unrecorded:
    """Delete the show's rows after ``ordinal`` (an undo took them back)."""

    show_id: str
    ordinal: int


@dataclass(frozen=True, slots=True)
class SingerAnonymized:
    """Every row of the singer in the show names ``name`` and no person from now on."""

    show_id: str
    singer_id: str
    name: str


PerformanceChange = Recorded | Unrecorded | SingerAnonymized

_KJ_SKIP = "skip"


class Performances:
    """Implements ``core.projections.Projection`` for the ``performances`` view."""

    name = PERFORMANCES
    version = 1

    def apply(self, step: Step) -> list[PerformanceChange]:
        """The rows ``step`` records, takes back or anonymizes."""
        event, state = step.event, step.state
        if isinstance(event, PerformanceFinished | PerformanceVoided | SingerSkipped):
            # Each of these appends exactly one entry to the fold's history: this turn.
            entry = state.history[-1]
            return [Recorded(_row(step, entry, len(state.history), _outcome(step, entry)))]
        if isinstance(event, KjActionReverted):
            # The fold cut its history back to the undone action's point; so do we.
            return [Unrecorded(step.show_id, len(state.history))]
        if isinstance(event, ShowClosed) and state.now is not None:
            return [Recorded(_unfinished(step, state.now))]
        if isinstance(event, SingerForgotten):
            return [SingerAnonymized(step.show_id, event.singer_id, event.name)]
        return []


def _outcome(step: Step, entry: HistoryEntry) -> Outcome:
    if entry.outcome != "skipped":
        return entry.outcome
    undo = step.state.undo_stack
    # A KJ's skip is one batch: KjActionTaken("skip") at seq - 1, then this SingerSkipped.
    kj_skip = bool(undo) and undo[-1].seq == step.seq - 1 and undo[-1].action == _KJ_SKIP
    return "no-show" if kj_skip else "skipped"


def _row(step: Step, entry: HistoryEntry, ordinal: int, outcome: Outcome) -> Performance:
    state = step.state
    singer = state.singers[entry.singer_id]
    requested_at = state.requests[entry.request_id].requested_at
    song = entry.song
    return Performance(
        show_id=step.show_id, ordinal=ordinal, request_id=entry.request_id, singer_id=entry.singer_id,
        person_id=singer.person_id, singer_name=singer.name, song_id=song.song_id, title=song.title,
        artist=song.artist, duration=song.duration, requested_at=requested_at, started_at=entry.started_at,
        finished_at=entry.finished_at, outcome=outcome, wait_seconds=_seconds(requested_at, entry.started_at),
        seq=step.seq,
    )


def _unfinished(step: Step, request_id: str) -> Performance:
    state = step.state
    request = state.requests[request_id]
    started = state.now_started_at or step.event.occurred_at
    entry = HistoryEntry(request_id, request.singer_id, request.song, "sung", started, step.event.occurred_at)
    return _row(step, entry, len(state.history) + 1, "unfinished")


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


class PerformanceLog(Protocol):
    """The performances as read back (the query port the API, the pages and the chat read through)."""

    async def of_show(self, show_id: str) -> list[Performance]:
        """The show's performances in the order they ended (by ``ordinal``); empty for an unknown show."""
        ...

    async def of_person(self, person_id: str, *, limit: int = 100) -> list[Performance]:
        """The person's performances in every show, the most recently started first, at most ``limit``."""
        ...

    async def show_with_code(self, code: str) -> str | None:
        """The show a join code belongs to for its history: the open show with that code, else the one
        that used it last (a closed show keeps its history page until the code is taken again)."""
        ...


class PerformanceRows:
    """The view in memory, keyed by ``(show_id, ordinal)``: what a store of the projection holds."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], Performance] = {}

    def write(self, changes: Iterable[object]) -> None:
        """Apply changes as a store would (anything that is not a ``PerformanceChange`` is a wiring error)."""
        for change in changes:
            if isinstance(change, Recorded):
                p = change.performance
                self.rows[(p.show_id, p.ordinal)] = p
            elif isinstance(change, Unrecorded):
                for key in [k for k in self.rows if k[0] == change.show_id and k[1] > change.ordinal]:
                    del self.rows[key]
            elif isinstance(change, SingerAnonymized):
                for key, p in list(self.rows.items()):
                    if key[0] == change.show_id and p.singer_id == change.singer_id:
                        self.rows[key] = replace(p, singer_name=change.name, person_id=None)
            else:
                raise TypeError(f"not a performances change: {change!r}")

    def clear(self) -> None:
        """Forget every row (a rebuild)."""
        self.rows.clear()

    def clear_shows(self, show_ids: Iterable[str]) -> None:
        """Forget the rows of these shows (their streams are applied again)."""
        gone = set(show_ids)
        for key in [k for k in self.rows if k[0] in gone]:
            del self.rows[key]

    def of_show(self, show_id: str) -> list[Performance]:
        """The show's rows by ordinal."""
        return sorted((p for (s, _), p in self.rows.items() if s == show_id), key=lambda p: p.ordinal)

    def of_person(self, person_id: str, limit: int) -> list[Performance]:
        """The person's rows, the most recently started first (ties: the later in their show first)."""
        theirs = [p for p in self.rows.values() if p.person_id == person_id]
        theirs.sort(key=lambda p: (p.started_at, p.show_id, p.ordinal), reverse=True)
        return theirs[:limit]


def performances_of(show_id: str, events: Iterable[Event]) -> list[Performance]:
    """The show's performances, computed from its whole stream in one go (the projection applied to every
    event in order): what the view holds for the show once it has caught up."""
    rows = PerformanceRows()
    projection = Performances()
    state = ShowState()
    for seq, event in enumerate(events, start=1):
        fold_onto(state, (event,))
        rows.write(projection.apply(Step(show_id, seq, event, state)))
    return rows.of_show(show_id)
