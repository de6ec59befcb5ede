"""Who sings next: the predicted upcoming list of a show.

The upcoming list (the current performance excluded) is built in three layers, first wins:

1. The next-up lock: the request recorded as next when the last performance started, while it is
   still pending and its singer is not paused (fairness rule 5).
2. The KJ's manual order: requests the KJ placed with ``MoveRequest``/``BumpSinger``. Moving a request
   to position *p* freezes the *p - 1* requests the KJ saw above it plus the moved one; everything
   below stays predicted by the policy. Requests leave the manual order once they are sung or
   withdrawn; paused singers' entries are passed over and come back in place on resume.
3. The show's policy for everything else:
   - ``round_robin``: rounds in join order, each waiting singer at most once per round, continuing
     the current round (``state.round_used``) before starting new ones; each singer's own order.
   - ``fifo``: requests in the order they were made; a singer who reordered their own requests
     sings them in their order in the slots their requests occupy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set as AbstractSet

from core.rotation.state import ShowState


def upcoming(state: ShowState) -> list[str]:
    """Request ids in the order they are predicted to be sung, excluding the current performance."""
    if state.upcoming_memo is None:
        state.upcoming_memo = tuple(_upcoming(state))
    return list(state.upcoming_memo)


def _upcoming(state: ShowState) -> list[str]:
    head = placed(state)
    seen = set(head)
    if state.settings.policy == "fifo":
        return head + _fifo(state, seen)
    # Walk the fixed head as if each started in turn, so the round bookkeeping the policy continues
    # from is exactly what ``decide`` will record when they really start.
    requests = state.requests
    owed = Counter(requests[r].singer_id for r in state.requests if state.is_waiting(r))
    used = set(state.round_used)
    for request_id in head:
        singer_id = requests[request_id].singer_id
        owed[singer_id] -= 1
        others_owed = any(n > 0 and s not in used and s != singer_id for s, n in owed.items())
        if starts_new_round(used, singer_id, request_id in state.manual_order, others_owed):
            used = {singer_id}
        else:
            used.add(singer_id)
    return head + _round_robin(state, seen, used)


def starts_new_round(
    used: AbstractSet[str], singer_id: str, placed_by_kj: bool, someone_else_owed: bool
) -> bool:
    """Whether a turn (sung or skipped) of ``singer_id`` opens a new round rather than continuing it.

    ``used`` holds the singers who had a turn in the current round; ``someone_else_owed`` says whether
    another waiting singer has not. The first turn of a show opens round 1. A singer already served
    opens a new round, except when the KJ placed them early while others are still owed a turn: that
    extra turn is an override and the round carries on. (A served singer can also come first through
    the next-up lock, when the round was complete at lock time and newcomers arrived since; their turn
    does open the new round, so they do not also sing first in the one after.)
    """
    if not used:
        return True
    if singer_id not in used:
        return False
    return not (placed_by_kj and someone_else_owed)


def _waiting_by_singer(state: ShowState, exclude: set[str]) -> dict[str, list[str]]:
    queues: dict[str, list[str]] = {}
    requests = state.requests
    for singer_id in state.rotation:
        if state.singers[singer_id].paused:
            continue
        own = [
            rid
            for rid in state.own_order.get(singer_id, ())
            if requests[rid].status == "pending" and rid not in exclude
        ]
        if own:
            queues[singer_id] = own
    return queues


def _round_robin(state: ShowState, exclude: set[str], used: set[str]) -> list[str]:
    queues = _waiting_by_singer(state, exclude)
    order: list[str] = []
    # dicts keep rotation order, so these loops walk singers by join order.
    for singer_id, own in queues.items():
        if singer_id not in used:
            order.append(own.pop(0))
    remaining = [own for own in queues.values() if own]
    depth = 0
    while remaining:
        order.extend(own[depth] for own in remaining)
        depth += 1
        remaining = [own for own in remaining if depth < len(own)]
    return order


def _fifo(state: ShowState, exclude: set[str]) -> list[str]:
    queues = _waiting_by_singer(state, exclude)
    slots = sorted(
        (state.requests[rid] for own in queues.values() for rid in own), key=lambda request: request.order
    )
    cursors = dict.fromkeys(queues, 0)
    order: list[str] = []
    for request in slots:
        singer_id = request.singer_id
        order.append(queues[singer_id][cursors[singer_id]])
        cursors[singer_id] += 1
    return order


def placed(state: ShowState) -> list[str]:
    """The fixed head of the upcoming list: the live next-up lock, then the KJ's manual order."""
    head: list[str] = []
    if state.next_up is not None and state.is_waiting(state.next_up):
        head.append(state.next_up)
    head.extend(r for r in state.manual_order if r not in head and state.is_waiting(r))
    return head
