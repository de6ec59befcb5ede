"""``decide(state, command, now)``: check a command against the current state and say what happened.

Deciding is pure and deterministic: the same state, command and ``now`` always give the same events.
Every undoable KJ action starts with a ``KjActionTaken`` carrying what the action is about to change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from core.rotation.commands import (
    AdvanceQueue,
    BlockSinger,
    BumpSinger,
    ChangeShowSettings,
    CloseShow,
    Command,
    ForgetSinger,
    LinkSingers,
    MoveRequest,
    OpenShow,
    PauseSinger,
    RemoveRequest,
    RenameSinger,
    RequestSong,
    ResumeSinger,
    SkipMyTurn,
    SkipSinger,
    UnblockSinger,
    Undo,
    VoidPerformance,
    WithdrawRequest,
)
from core.rotation.errors import (
    Blocked,
    Conflict,
    InvalidCommand,
    LimitReached,
    NotFound,
    NothingToUndo,
    ShowIsClosed,
    SongAlreadyQueued,
)
from core.rotation.events import (
    Event,
    KjActionReverted,
    KjActionTaken,
    NextSingerCalled,
    PerformanceFinished,
    PerformanceStarted,
    PerformanceVoided,
    RequestMoved,
    RequestWithdrawn,
    ShowClosed,
    ShowOpened,
    ShowSettingsChanged,
    SingerBlocked,
    SingerBumped,
    SingerForgotten,
    SingerJoined,
    SingerPaused,
    SingerRenamed,
    SingerResumed,
    SingerSkipped,
    SingersLinked,
    SingerUnblocked,
    SongRequested,
    UndoPoint,
)
from core.rotation.policies import placed, starts_new_round, upcoming
from core.rotation.state import ShowState, evolve
from core.rotation.values import PERSON, SingerRef, SongRef

# Singer ids derived from request ids live in their own namespace so they never equal a request id.
_SINGER_NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-4c5d-9e6f-7a8b9c0d1e2f")


def decide(state: ShowState, command: Command, now: datetime) -> list[Event]:
    """Return the events ``command`` produces on ``state`` at ``now`` (aware UTC), never an empty list.

    Raises a ``RotationError`` subclass when the command is refused; the state is never modified.
    """
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise InvalidCommand("time must be an aware UTC datetime")
    if isinstance(command, OpenShow):
        return _open_show(state, command, now)
    if not state.opened:
        raise NotFound("there is no such show")
    if isinstance(command, ForgetSinger):
        return _forget(state, command, now)
    if state.closed:
        raise ShowIsClosed(f"the show {state.name!r} is closed")
    match command:
        case RequestSong():
            return _request_song(state, command, now)
        case LinkSingers():
            return _link(state, command, now)
        case RenameSinger():
            return _rename(state, command, now)
        case WithdrawRequest():
            return _withdraw(state, command, now)
        case SkipMyTurn():
            return _skip_my_turn(state, command, now)
        case RemoveRequest():
            return _remove(state, command, now)
        case AdvanceQueue():
            return _advance(state, now)
        case SkipSinger():
            return _skip(state, command, now)
        case VoidPerformance():
            return _void(state, command, now)
        case PauseSinger():
            return _pause(state, command.singer_id, True, now)
        case ResumeSinger():
            return _pause(state, command.singer_id, False, now)
        case BlockSinger():
            return _block(state, command.singer_id, True, now)
        case UnblockSinger():
            return _block(state, command.singer_id, False, now)
        case MoveRequest():
            return _move(state, command, now)
        case BumpSinger():
            return _bump(state, command, now)
        case Undo():
            return _undo(state, now)
        case ChangeShowSettings():
            return [ShowSettingsChanged(command.settings, now)]
        case CloseShow():
            return [ShowClosed(now)]
    raise InvalidCommand(f"unknown command {type(command).__name__}")


def singer_id_for(request_id: str) -> str:
    """The singer id ``RequestSong`` assigns to a new singer when the command names none."""
    return str(uuid.uuid5(_SINGER_NAMESPACE, request_id))


def _open_show(state: ShowState, command: OpenShow, now: datetime) -> list[Event]:
    if state.opened:
        raise Conflict("this show is already open")
    if not command.name.strip():
        raise InvalidCommand("a show needs a name")
    if not command.code.strip():
        raise InvalidCommand("a show needs a join code")
    return [ShowOpened(command.show_id, command.name.strip(), command.code, command.settings, now, now)]


def _check_singer_ref(singer: SingerRef) -> None:
    if not singer.name.strip():
        raise InvalidCommand("a singer needs a name")
    if (singer.platform is None) != (singer.user_id is None):
        raise InvalidCommand("a chat singer needs both platform and user id; a walk-in needs neither")


def _check_song(song: SongRef) -> None:
    if not song.song_id or not song.title.strip():
        raise InvalidCommand("a song needs an id and a title")
    if song.duration is not None and song.duration < 0:
        raise InvalidCommand("a song's duration cannot be negative")


def _find_singer(state: ShowState, singer: SingerRef) -> str:
    singer_id = state.singer_of(singer)
    if singer_id is None:
        raise NotFound(f"{singer.name} is not in this show")
    return singer_id


def _request_song(state: ShowState, command: RequestSong, now: datetime) -> list[Event]:
    _check_singer_ref(command.singer)
    _check_song(command.song)
    if command.request_id in state.requests:
        raise Conflict("this request id is already used")
    song = command.song
    for request in state.requests.values():
        if request.song.song_id == song.song_id and request.status in ("pending", "performing"):
            raise SongAlreadyQueued(f"{song.title} is already in the queue")
    events: list[Event] = []
    singer_id = state.singer_of(command.singer)
    if singer_id is None:
        singer_id = command.new_singer_id or singer_id_for(command.request_id)
        if singer_id in state.singers:
            raise Conflict("this singer id is already used")
        ref = command.singer
        events.append(SingerJoined(singer_id, ref.name.strip(), ref.platform, ref.user_id, now, ref.person_id))
    elif singer_id in state.blocked:
        raise Blocked("the KJ is not taking songs from this singer tonight")
    elif len(state.pending_of(singer_id)) >= state.settings.max_pending:
        limit = state.settings.max_pending
        raise LimitReached(f"you already have {limit} songs waiting", limit)
    events.append(
        SongRequested(
            command.request_id, singer_id, song.song_id, song.title, song.artist, song.duration, now
        )
    )
    return events


def _link(state: ShowState, command: LinkSingers, now: datetime) -> list[Event]:
    if not command.person_id:
        raise InvalidCommand("linking needs the person's id")
    people = {command.person_id, *command.former}
    keys = state.singer_keys
    found = {keys[(PERSON, p)] for p in people if (PERSON, p) in keys}
    for platform, user_id in command.identities:
        singer_id = keys.get((platform, user_id))
        # An identity's singer that is someone else's now (unlinked since) is not this person's.
        if singer_id is not None and state.singers[singer_id].person_id in (None, *people):
            found.add(singer_id)
    found = {state.now_known_as(s) for s in found}
    if not found:
        raise NotFound("none of them is in this show")
    ordered = sorted(found, key=state.rotation.index)
    kept, merged = ordered[0], tuple(ordered[1:])
    if (not merged and state.singers[kept].person_id == command.person_id
            and keys.get((PERSON, command.person_id)) == kept):
        raise Conflict("they are one singer already")
    linked = SingersLinked(kept, command.person_id, merged, state.next_up, now)
    after = evolve(state, linked)
    next_up = after.next_up
    if (next_up is not None and after.is_waiting(next_up) and after.requests[next_up].singer_id == kept
            and kept in after.round_used and _others_owed(after, kept)):
        # Called as one of them after the other had this round's turn, while others still wait for theirs:
        # singing now would be twice in one round.
        linked = replace(linked, next_up=None)
    return [linked]


def _forget(state: ShowState, command: ForgetSinger, now: datetime) -> list[Event]:
    forgotten = command.singer
    anonymous = command.anonymous
    # The singers that joined with the account (what the log names them by; a singer it was linked into
    # joined with another account and keeps it), and, when its person goes with it, every singer of theirs.
    joined = [singer_id for singer_id, singer in state.singers.items()
              if (forgotten.platform is not None and (singer.platform, singer.user_id) == forgotten.key)
              or (forgotten.person_id is not None and singer.person_id == forgotten.person_id)]
    if not joined:
        raise NotFound("no singer joined this show with that account")
    if anonymous.platform is None or not anonymous.user_id or not anonymous.name.strip():
        raise InvalidCommand("a forgotten singer needs an anonymous name, platform and id")
    if anonymous.key in state.singer_keys:
        raise Conflict("that anonymous identity is taken")
    staying = dict(command.staying)
    events: list[Event] = []
    for singer_id in joined:
        person_id = state.singers[singer_id].person_id
        if person_id is not None and person_id in staying:
            events.append(SingerForgotten(singer_id, staying[person_id], anonymous.platform, anonymous.user_id, now,
                                          person_id))
        else:
            events.append(SingerForgotten(singer_id, anonymous.name, anonymous.platform, anonymous.user_id, now))
    return events


def _rename(state: ShowState, command: RenameSinger, now: datetime) -> list[Event]:
    singer_id = _find_singer(state, command.singer)
    name = command.name.strip()
    if not name:
        raise InvalidCommand("a singer needs a name")
    if state.singers[singer_id].name == name:
        raise Conflict(f"{name} is already their name")
    return [SingerRenamed(singer_id, name, now)]


def _pending_request(state: ShowState, request_id: str) -> str:
    request = state.requests.get(request_id)
    if request is None:
        raise NotFound("there is no such request")
    if request.status != "pending":
        raise Conflict(f"that request is {request.status}, not waiting")
    return request.singer_id


def _withdraw(state: ShowState, command: WithdrawRequest, now: datetime) -> list[Event]:
    singer_id = _find_singer(state, command.singer)
    request = state.requests.get(command.request_id)
    if request is None or request.singer_id != singer_id:
        raise NotFound("you have no such request")
    _pending_request(state, command.request_id)
    return [RequestWithdrawn(command.request_id, singer_id, False, now)]


def _skip_my_turn(state: ShowState, command: SkipMyTurn, now: datetime) -> list[Event]:
    singer_id = _find_singer(state, command.singer)
    request = state.requests.get(command.request_id)
    if request is None or request.singer_id != singer_id:
        raise NotFound("you have no such request")
    if request.status == "performing":
        # Their turn was used when they were called up; it goes back to waiting for a later round.
        return [SingerSkipped(singer_id, command.request_id, False, now)]
    _pending_request(state, command.request_id)
    if command.request_id not in upcoming(state):
        raise Conflict("that song is not in line right now")
    skipped = SingerSkipped(singer_id, command.request_id, _opens_new_round(state, command.request_id), now)
    if upcoming(state)[0] != command.request_id:
        return [skipped]
    # The called singer sat out: while someone sings, the next one is called in their place.
    return [skipped, *_call_following(evolve(state, skipped), singer_id, now)]


def _undo_point(
    state: ShowState, requests: Iterable[str | None] = (), singers: Iterable[str] = ()
) -> UndoPoint:
    return UndoPoint(
        now_request_id=state.now,
        now_started_at=state.now_started_at,
        round_no=state.round_no,
        round_used=tuple(sorted(state.round_used)),
        next_up_request_id=state.next_up,
        manual_order=state.manual_order,
        history_length=len(state.history),
        request_statuses=tuple((r, state.requests[r].status) for r in requests if r is not None),
        paused=tuple((s, state.singers[s].paused) for s in singers),
    )


def _remove(state: ShowState, command: RemoveRequest, now: datetime) -> list[Event]:
    singer_id = _pending_request(state, command.request_id)
    return [
        KjActionTaken("remove", _undo_point(state, [command.request_id]), now),
        RequestWithdrawn(command.request_id, singer_id, True, now),
    ]


def _others_owed(state: ShowState, singer_id: str) -> bool:
    """Whether a waiting singer other than ``singer_id`` has not had their turn this round."""
    return any(
        other != singer_id
        and other not in state.round_used
        and not state.singers[other].paused
        and state.pending_of(other)
        for other in state.rotation
    )


def _opens_new_round(state: ShowState, request_id: str) -> bool:
    singer_id = state.requests[request_id].singer_id
    others_owed = _others_owed(state, singer_id)
    return starts_new_round(state.round_used, singer_id, request_id in state.manual_order, others_owed)


def _start(state: ShowState, request_id: str, now: datetime) -> PerformanceStarted:
    singer_id = state.requests[request_id].singer_id
    started = PerformanceStarted(request_id, singer_id, None, _opens_new_round(state, request_id), now)
    after = upcoming(evolve(state, started))
    return replace(started, next_up_request_id=after[0] if after else None)


def _advance(state: ShowState, now: datetime) -> list[Event]:
    scratch = state
    events: list[Event] = []
    if state.now is not None:
        finished = PerformanceFinished(state.now, state.requests[state.now].singer_id, now)
        events.append(finished)
        scratch = evolve(scratch, finished)
    line = upcoming(scratch)
    if line:
        events.append(_start(scratch, line[0], now))
    if not events:
        raise Conflict("nobody is singing or waiting")
    point = _undo_point(state, [state.now, line[0] if line else None])
    return [KjActionTaken("advance", point, now), *events]


def _call_following(state: ShowState, passed_over: str, now: datetime) -> list[Event]:
    """While someone sings, the first waiting request of a singer other than ``passed_over`` is called next."""
    if state.now is None:
        return []
    following = next((r for r in upcoming(state) if state.requests[r].singer_id != passed_over), None)
    return [NextSingerCalled(following, now)] if following is not None else []


def _skip(state: ShowState, command: SkipSinger, now: datetime) -> list[Event]:
    line = upcoming(state)
    if not line:
        raise Conflict("nobody is waiting to be called")
    called = line[0]
    if command.request_id is not None and command.request_id != called:
        raise Conflict("that request is no longer the next one")
    called_singer = state.requests[called].singer_id
    skipped = SingerSkipped(called_singer, called, _opens_new_round(state, called), now)
    # Whoever is at the mic sings on; the singer after the one passed over is called instead.
    events: list[Event] = [skipped, *_call_following(evolve(state, skipped), called_singer, now)]
    return [KjActionTaken("skip", _undo_point(state), now), *events]


def _void(state: ShowState, command: VoidPerformance, now: datetime) -> list[Event]:
    current = state.now
    if current is None:
        raise Conflict("nobody is at the mic")
    if command.request_id is not None and command.request_id != current:
        raise Conflict("that performance is no longer on")
    singer_id = state.requests[current].singer_id
    voided = PerformanceVoided(current, singer_id, now)
    scratch = evolve(state, voided)
    # The singer who never came cannot be the one the show moves on to, even if they are the only one left.
    following = next((r for r in upcoming(scratch) if scratch.requests[r].singer_id != singer_id), None)
    events: list[Event] = [voided]
    if following is not None:
        events.append(_start(scratch, following, now))
    point = _undo_point(state, [current, following])
    return [KjActionTaken("void", point, now), *events]


def _pause(state: ShowState, singer_id: str, pause: bool, now: datetime) -> list[Event]:
    singer = state.singers.get(singer_id)
    if singer is None:
        raise NotFound("there is no such singer")
    if singer.paused == pause:
        raise Conflict(f"{singer.name} is already {'paused' if pause else 'in the rotation'}")
    point = _undo_point(state, singers=[singer_id])
    if pause:
        return [KjActionTaken("pause", point, now), SingerPaused(singer_id, now)]
    return [KjActionTaken("resume", point, now), SingerResumed(singer_id, now)]


def _block(state: ShowState, singer_id: str, block: bool, now: datetime) -> list[Event]:
    singer = state.singers.get(singer_id)
    if singer is None:
        raise NotFound("there is no such singer")
    if (singer_id in state.blocked) == block:
        raise Conflict(f"{singer.name} is already {'blocked' if block else 'not blocked'}")
    if not block:
        return [SingerUnblocked(singer_id, now)]
    taken_out: list[Event] = [RequestWithdrawn(r, singer_id, True, now) for r in state.pending_of(singer_id)]
    return [SingerBlocked(singer_id, now), *taken_out]


def _manual_order(state: ShowState, line: list[str], request_id: str, position: int) -> tuple[str, ...]:
    ahead = [r for r in line if r != request_id][: position - 1]
    kept = [r for r in placed(state) if r != request_id and r not in ahead]
    return (*ahead, request_id, *kept)


def _move(state: ShowState, command: MoveRequest, now: datetime) -> list[Event]:
    _pending_request(state, command.request_id)
    line = upcoming(state)
    if command.request_id not in line:
        raise Conflict("that singer is paused; resume them first")
    if not 1 <= command.position <= len(line):
        raise InvalidCommand(f"position must be from 1 to {len(line)}")
    order = _manual_order(state, line, command.request_id, command.position)
    return [
        KjActionTaken("move", _undo_point(state), now),
        RequestMoved(command.request_id, command.position, order, now),
    ]


def _bump(state: ShowState, command: BumpSinger, now: datetime) -> list[Event]:
    singer = state.singers.get(command.singer_id)
    if singer is None:
        raise NotFound("there is no such singer")
    if singer.paused:
        raise Conflict(f"{singer.name} is paused; resume them first")
    line = upcoming(state)
    request_id = next((r for r in line if state.requests[r].singer_id == command.singer_id), None)
    if request_id is None:
        raise Conflict(f"{singer.name} has no song waiting")
    order = _manual_order(state, line, request_id, 1)
    return [
        KjActionTaken("bump", _undo_point(state), now),
        SingerBumped(command.singer_id, request_id, order, now),
    ]


def _undo(state: ShowState, now: datetime) -> list[Event]:
    if not state.undo_stack:
        raise NothingToUndo("there is no KJ action left to undo")
    entry = state.undo_stack[-1]
    return [KjActionReverted(entry.seq, entry.action, now)]
