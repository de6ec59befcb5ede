"""Which notices a show owes, derived from its state after each batch of events.

Planning is level-triggered and keyed: every batch (and every ``scan``) lists the notices the show
owes *now*, and the store keeps one row per key, so a notice goes out once however often it is
planned. A notice withdrawn since (``dropped`` because it no longer held when its time came, or
``corrected`` because what it said stopped being true) is told again when planned again: a notice
belongs to one call of one turn, and an undone call does not use up the next one. A key names the
show, the request, the kind, and how many times that request has been skipped.

Kinds for singers:

- ``up``: their performance has started ("You're up now").
- ``next``: they are first in line while someone sings ("You're next"). Settling it stores a
  ``no_show`` check due after the show's timeout, in the same transaction.
- ``heads_up``: they are within the show's ``heads_up_position`` places of the front.
- ``soon``: their ETA is within ``reminder_minutes``; a single ``scan`` row per show is due when the
  next singer will cross that line, because ETAs shrink with time and not only with events.
- ``removed``: the KJ took their song out of the queue.
- ``closed``: the show closed while their songs were still waiting.

Kinds for the show: ``scan`` (its timer), ``revise`` (after a batch that may have made something
someone was told untrue: the ticker corrects it), ``farewell`` (the goodbye to the show's rooms) and
``idle`` (closes a show nobody touched for ``idle_close_hours``). For KJs: ``no_show`` (the called
singer has neither confirmed nor started) and ``undelivered`` (a singer's notice could not be delivered).

A request that was just queued is told its place and ETA in the reply, so the notices it would
get at once are stored ``suppressed``: the key is taken and nothing is sent (a later correction still
covers what the reply said). A heads-up or a call says the wait too: the ``soon`` it says along with it is
stored by the ticker when it is told (``wait_told_with``), not planned beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from core.rotation import DISRUPTIVE, Event, Notice, ShowState, SingerInfo, Slot, queue_view
from core.rotation.events import (
    KjActionReverted,
    KjActionTaken,
    RequestWithdrawn,
    ShowClosed,
    ShowOpened,
    ShowSettingsChanged,
    SingerSkipped,
    SongRequested,
)
from core.rotation.queue import slot_of, upcoming_slots

UP = "up"
NEXT = "next"
HEADS_UP = "heads_up"
SOON = "soon"
REMOVED = "removed"
CLOSED = "closed"
NO_SHOW = "no_show"
SCAN = "scan"
REVISE = "revise"
FAREWELL = "farewell"
IDLE = "idle"
UNDELIVERED = "undelivered"

TURN_KINDS = frozenset({UP, NEXT, HEADS_UP, SOON})
SINGER_KINDS = TURN_KINDS | {REMOVED, CLOSED}
KJ_KINDS = frozenset({NO_SHOW, UNDELIVERED})
SHOW_KINDS = frozenset({SCAN, REVISE, FAREWELL, IDLE})


def notice_key(show_id: str, request_id: str, kind: str, skips: int) -> str:
    """The idempotency key of a notice: one per (show, request, kind) and time the request was skipped."""
    return f"{show_id}:{request_id}:{kind}:{skips}"


def skips_in(key: str) -> int:
    """How many times the request had been skipped when the notice under ``notice_key`` ``key`` was planned."""
    return int(key.rsplit(":", 1)[1])


def show_key(show_id: str, kind: str, n: int = 0) -> str:
    """The key of a notice about the whole show (``n`` tells apart notices that may repeat)."""
    return f"{show_id}:-:{kind}:{n}"


def skip_counts(state: ShowState) -> Counter[str]:
    """How many times each request has been skipped so far."""
    return Counter(entry.request_id for entry in state.history if entry.outcome == "skipped")


def plan_notices(state: ShowState, events: Sequence[Event], now: datetime) -> list[Notice]:
    """The notices ``state`` owes at ``now``; ``events`` are the batch that just produced it (may be empty)."""
    if not state.opened:
        return []
    if state.closed:
        return _closing(state) if any(isinstance(e, ShowClosed) for e in events) else []
    notices = _turns(state, events, now)
    for event in events:
        if isinstance(event, RequestWithdrawn) and event.by_kj:
            notices.append(Notice(f"{state.show_id}:{event.request_id}:{REMOVED}:{state.version}", state.show_id,
                                  event.request_id, REMOVED, now))
    if any(isinstance(e, ShowOpened) for e in events):
        notices.append(Notice(show_key(state.show_id, IDLE), state.show_id, None, IDLE, idle_due(state),
                              reschedules=True))
    revise = _revise(state, events, now)
    if revise is not None:
        notices.append(revise)
    return notices


def _revise(state: ShowState, events: Sequence[Event], now: datetime) -> Notice | None:
    """One look at what people were told, after a batch that may have made some of it untrue.

    Planned after the batch's other notices, so a correction never comes before the news it corrects.
    A singer who sat out their own turn knows: their broken notices are corrected quietly (``detail``).
    A singer taking back their own song makes nobody worse off: no look is needed.
    """
    if not any(isinstance(e, DISRUPTIVE) for e in events):
        return None
    by_kj = any(isinstance(e, KjActionTaken | KjActionReverted | ShowSettingsChanged) for e in events)
    own = [e.request_id for e in events if isinstance(e, SingerSkipped)]
    if not by_kj and not own:
        return None
    detail = None if by_kj else "quiet:" + ",".join(own)
    return Notice(show_key(state.show_id, REVISE, state.version), state.show_id, None, REVISE, now, detail=detail)


def _turns(state: ShowState, events: Sequence[Event], now: datetime) -> list[Notice]:
    settings = state.settings
    skips = skip_counts(state)
    fresh = {e.request_id for e in events if isinstance(e, SongRequested)}
    notices: list[Notice] = []

    def add(slot: Slot, kind: str, *, due: datetime = now, quiet: bool = False) -> None:
        key = notice_key(state.show_id, slot.request_id, kind, skips[slot.request_id])
        notices.append(Notice(key, state.show_id, slot.request_id, kind, due, "suppressed" if quiet else "pending"))

    performing = state.now is not None
    if state.now is not None:
        request = state.requests[state.now]
        add(Slot(state.now, SingerInfo(request.singer_id, ""), request.song, 0, 0), UP)
    threshold = settings.reminder_minutes * 60
    first_crossing: int | None = None
    for slot in upcoming_slots(state, now):
        if slot.eta_seconds > threshold and slot.position > settings.heads_up_position:
            # ETAs only grow down the line: this is the next to cross the reminder line, and the last
            # slot that owes anything now.
            if first_crossing is None:
                first_crossing = slot.eta_seconds - threshold
            break
        quiet = slot.request_id in fresh
        if slot.position == 1 and performing:
            add(slot, NEXT, quiet=quiet)  # its no-show check follows when it is settled (see the ticker)
            strongest = True
        elif slot.position <= settings.heads_up_position:
            add(slot, HEADS_UP, quiet=quiet)
            strongest = True
        else:
            strongest = False
        if slot.eta_seconds <= threshold:
            # A heads-up or a call says the wait itself, so it needs no "about 10 minutes" of its own: the ticker
            # records the one it told along with it (``wait_told_with``). Planned here beside it, a "soon" would
            # claim a wait nobody was told when that heads-up had gone out earlier, further from the front.
            if quiet or not strongest:
                add(slot, SOON, quiet=quiet)
        elif first_crossing is None:
            first_crossing = slot.eta_seconds - threshold
    if first_crossing is not None:
        due = now + timedelta(seconds=first_crossing)
        notices.append(Notice(show_key(state.show_id, SCAN), state.show_id, None, SCAN, due, reschedules=True))
    return notices


def wait_told_with(state: ShowState, told: str, request_id: str, key: str, now: datetime) -> list[Notice]:
    """The ``soon`` that telling the ``told`` notice (a heads-up or a call) under ``key`` says along with it, as
    said (``suppressed``): its wait, when that is within the reminder line. So the "soon" is not said again, and
    a change that pushes the wait back past the line is corrected."""
    slot = slot_of(state, request_id, now)
    if slot is None or slot.eta_seconds > state.settings.reminder_minutes * 60:
        return []
    return [Notice(notice_key(state.show_id, request_id, SOON, skips_in(key)), state.show_id, request_id, SOON, now,
                   "suppressed", detail="told with the call" if told == NEXT else "told with the heads-up")]


def _closing(state: ShowState) -> list[Notice]:
    """The goodbye to the show's rooms, and one word to each singer whose songs were still waiting."""
    at = state.last_event_at
    assert at is not None
    notices = [Notice(show_key(state.show_id, FAREWELL), state.show_id, None, FAREWELL, at)]
    for singer_id in state.rotation:
        waiting = state.pending_of(singer_id)
        if waiting:
            notices.append(Notice(notice_key(state.show_id, waiting[0], CLOSED, 0), state.show_id, waiting[0], CLOSED,
                                  at))
    return notices


def idle_due(state: ShowState) -> datetime:
    """When the show will have been idle for its ``idle_close_hours`` if nothing happens meanwhile."""
    assert state.last_event_at is not None
    return state.last_event_at + timedelta(hours=state.settings.idle_close_hours)


def no_show_due(state: ShowState, now: datetime) -> datetime:
    """When to look whether the singer called just now has turned up.

    With ``auto_skip`` the check waits at least until the current song should end, so the singer has
    the whole song to come forward.
    """
    due = now + timedelta(seconds=state.settings.no_show_timeout_seconds)
    if state.settings.auto_skip and state.now is not None:
        view = queue_view(state, now)
        if view.upcoming:
            due = max(due, now + timedelta(seconds=view.upcoming[0].eta_seconds))
    return due


def stale_reason(state: ShowState, kind: str, request_id: str | None, key: str, now: datetime) -> str | None:
    """Why a notice planned earlier no longer holds at ``now`` (so it is dropped, not sent late), or None."""
    if kind in (CLOSED, FAREWELL):
        return None if state.closed else "the show is open again"
    if state.closed:
        return "the show is closed"
    if kind in (UNDELIVERED, REVISE, IDLE):
        return None
    if request_id is None:
        return None if kind == SCAN else "no request"
    request = state.requests.get(request_id)
    if request is None:
        return "no such request"
    if kind == REMOVED:
        return None if request.status == "withdrawn" else "the song is back in the queue"
    if not key.endswith(f":{skip_counts(state)[request_id]}"):
        return "the singer was skipped since"
    view = queue_view(state, now)
    if kind == UP:
        return None if state.now == request_id else "the performance is over"
    slot = next((s for s in view.upcoming if s.request_id == request_id), None)
    if slot is None:
        return "the song is no longer waiting"
    called = slot.position == 1 and state.now is not None
    if kind in (NEXT, NO_SHOW):
        return None if called else "no longer first in line"
    if called:
        return "called up already"  # "You're next" says it all
    if kind == HEADS_UP:
        return None if slot.position <= state.settings.heads_up_position else "no longer near the front"
    if kind == SOON:
        # A minute of grace: the ETA was within the threshold when the notice was planned.
        return None if slot.eta_seconds <= state.settings.reminder_minutes * 60 + 60 else "further away again"
    return f"unknown kind {kind}"
