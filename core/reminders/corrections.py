"""Which of the things singers were told a change made untrue, and what to tell them instead.

Pure: a show's state and what its singers were told (``ToldNotice``) in, the broken claims out. A
claim is broken when the singer is now *worse off* than they were told, not when time simply moved
on: told "you're up" and their performance was undone or voided; told "you're next" and someone else
is called; told they were near the front and they are further back, or on hold; told their song
was removed and it is back. A song sung, withdrawn by its singer, or removed (which is told on its
own) breaks nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.reminders.plan import HEADS_UP, NEXT, REMOVED, SOON, UP
from core.reminders.ports import ToldNotice
from core.rotation import ShowState, Slot
from core.rotation.queue import slot_of, upcoming_slots

# A minute of grace on "your turn is coming": the ETA was within the line when it was said.
SOON_GRACE_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Broken:
    """A request whose singer was told something that no longer holds, the notices that said it, and the
    notices about it still waiting to be sent."""

    request_id: str
    notice_ids: tuple[int, ...]
    kinds: frozenset[str]
    pending: tuple[ToldNotice, ...]


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a request stands now, as a correction tells it."""

    situation: str  # "next", "place", "paused"
    slot: Slot | None
    passed_over: bool
    voided: bool


def broken_claims(state: ShowState, told: Sequence[ToldNotice], now: datetime) -> list[Broken]:
    """The requests whose singers were told something ``state`` contradicts, in the order first told."""
    slots = {slot.request_id: slot for slot in upcoming_slots(state, now)}
    by_request: dict[str, list[ToldNotice]] = {}
    for notice in told:
        by_request.setdefault(notice.request_id, []).append(notice)
    found = []
    for request_id, notices in by_request.items():
        told_then = [n for n in notices if n.status != "pending"]
        broken = [n for n in told_then if _broken(state, slots, n.kind, request_id)]
        if broken:
            found.append(Broken(request_id, tuple(n.notice_id for n in broken), frozenset(n.kind for n in broken),
                                tuple(n for n in notices if n.status == "pending")))
    return found


def _broken(state: ShowState, slots: dict[str, Slot], kind: str, request_id: str) -> bool:
    request = state.requests.get(request_id)
    if request is None:
        return False
    if kind == REMOVED:
        return request.status in ("pending", "performing")  # the removal was undone
    if request.status != "pending":
        return False  # singing, sung, or taken out of the queue (which is told on its own)
    if kind == UP:
        return True  # the performance was undone, voided, or given back
    slot = slots.get(request_id)
    if slot is None:
        return True  # on hold: paused
    called = slot.position == 1 and state.now is not None
    if kind == NEXT:
        return not called
    if kind == HEADS_UP:
        return slot.position > state.settings.heads_up_position
    if kind == SOON:
        return slot.eta_seconds > state.settings.reminder_minutes * 60 + SOON_GRACE_SECONDS
    return False


def standing(state: ShowState, request_id: str, since: datetime, now: datetime) -> Standing:
    """Where ``request_id`` stands now, and whether it was passed over or voided at or after ``since``."""
    slot = slot_of(state, request_id, now)
    recent = [h.outcome for h in state.history if h.request_id == request_id and h.finished_at >= since]
    passed_over, voided = "skipped" in recent, "voided" in recent
    if slot is None:
        return Standing("paused", None, passed_over, voided)
    if slot.position == 1 and state.now is not None:
        return Standing("next", slot, passed_over, voided)
    return Standing("place", slot, passed_over, voided)
