"""Past-tense facts of a show's stream. Events are never changed once appended.

Every event carries ``occurred_at`` (aware UTC datetime), supplied by the caller's clock.
Some events record decisions taken when they were decided (e.g. who was told they are next),
so that replaying the stream never re-runs policy code and always yields the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.rotation.settings import ShowSettings


@dataclass(frozen=True, slots=True)
class UndoPoint:
    """What a KJ action changed, captured just before it, so a later undo can put it back.

    ``request_statuses`` and ``paused`` list only requests/singers the action itself changes, so
    unrelated things that happened after the action (a singer withdrawing, say) survive the undo.
    """

    now_request_id: str | None
    now_started_at: datetime | None
    round_no: int
    round_used: tuple[str, ...]
    next_up_request_id: str | None
    manual_order: tuple[str, ...]
    history_length: int
    request_statuses: tuple[tuple[str, str], ...] = ()
    paused: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class ShowOpened:
    """A karaoke night began; ``code`` is the short join code singers type."""

    show_id: str
    name: str
    code: str
    settings: ShowSettings
    opened_at: datetime
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerJoined:
    """A singer entered the rotation (first request, or added by the KJ); join order is rotation order.

    ``person_id`` is the person behind the singer (absent from streams written before people existed):
    whichever of their identities asks later finds this singer.
    """

    singer_id: str
    name: str
    platform: str | None
    user_id: str | None
    occurred_at: datetime
    person_id: str | None = None


@dataclass(frozen=True, slots=True)
class SingersLinked:
    """Identities that were separate singers turned out to be one person (they linked their accounts):
    from now on ``singer_id`` is that person's only singer.

    The ``merged`` singers leave the rotation; their songs join ``singer_id``'s list in the order they
    were requested; if any of them had their turn this round, ``singer_id`` has had it. ``next_up`` is
    the next-up lock after linking: released when it would have let the person sing twice this round.
    """

    singer_id: str
    person_id: str
    merged: tuple[str, ...]
    next_up: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerRenamed:
    """The singer chose another name; the queue and the screen show it from now on."""

    singer_id: str
    name: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerForgotten:
    """The account the singer joined with asked to be forgotten: from now on the singer is ``name`` from
    ``(platform, user_id)``, an anonymous identity. With no ``person_id`` the singer is linked to nothing;
    with one, the person keeps other accounts (``name`` is how they are shown without the forgotten one),
    and the singer stays theirs: their songs, their place, their turn, whichever account asks next.

    Their earlier events are rewritten to say the same (``anonymized``): the one sanctioned rewrite of
    a log that is otherwise append-only. This event tells every reader of the stream, in every
    process, to forget what it holds of them too.
    """

    singer_id: str
    name: str
    platform: str
    user_id: str
    occurred_at: datetime
    person_id: str | None = None


@dataclass(frozen=True, slots=True)
class SongRequested:
    """A singer asked to sing a song; ``duration`` is seconds or None when the catalog does not know."""

    request_id: str
    singer_id: str
    song_id: str
    title: str
    artist: str
    duration: int | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class RequestWithdrawn:
    """A pending request left the queue, by its singer or (``by_kj``) removed by the KJ."""

    request_id: str
    singer_id: str
    by_kj: bool
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class PerformanceStarted:
    """A request is being sung now.

    ``next_up_request_id`` is the request whose singer was told they are next (the next-up lock).
    ``new_round`` records whether this turn opened a new round of the rotation.
    """

    request_id: str
    singer_id: str
    next_up_request_id: str | None
    new_round: bool
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class PerformanceFinished:
    """The current performance ended."""

    request_id: str
    singer_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerSkipped:
    """The called singer did not come: their request stays pending, their turn in the round is used."""

    singer_id: str
    request_id: str
    new_round: bool
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class NextSingerCalled:
    """While someone sings, the KJ called ``request_id`` next (after passing over the singer called before).

    It becomes the next-up lock, as if recorded when the current performance started.
    """

    request_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class PerformanceVoided:
    """The performance that started never happened (the singer never came to the mic): it is not counted
    as sung, the song waits again, and the singer's turn in this round stays used."""

    request_id: str
    singer_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerPaused:
    """The singer is passed over until resumed; they keep their place and requests."""

    singer_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerBlocked:
    """The KJ stopped taking songs from the singer in this show. Their waiting songs leave the queue, each
    by its own ``RequestWithdrawn`` (``by_kj``) in the same batch; a song at the mic sings on."""

    singer_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerUnblocked:
    """The KJ takes songs from the singer again (the songs taken out when blocked stay out)."""

    singer_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerResumed:
    """A paused singer is back in the rotation at their old place."""

    singer_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class RequestMoved:
    """The KJ placed a request at ``position`` of the upcoming list.

    ``manual_order`` is the resulting KJ-fixed head of the upcoming list (see ``core.rotation.policies``).
    """

    request_id: str
    position: int
    manual_order: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SingerBumped:
    """The KJ put the singer's next request first in line; ``manual_order`` as in ``RequestMoved``."""

    singer_id: str
    request_id: str
    manual_order: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ShowSettingsChanged:
    """The KJ changed the show's settings; they apply from now on."""

    settings: ShowSettings
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ShowClosed:
    """The show ended; nothing more is accepted."""

    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class KjActionTaken:
    """Opens the events of one undoable KJ action (``action`` names the command kind).

    The events of that action follow it directly in the same append batch.
    """

    action: str
    undo_point: UndoPoint
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class KjActionReverted:
    """Compensates the KJ action opened at stream position ``of_seq`` by restoring its undo point."""

    of_seq: int
    action: str
    occurred_at: datetime


Event = (
    ShowOpened
    | SingerJoined
    | SingerRenamed
    | SingerForgotten
    | SingersLinked
    | SongRequested
    | RequestWithdrawn
    | PerformanceStarted
    | PerformanceFinished
    | SingerSkipped
    | NextSingerCalled
    | PerformanceVoided
    | SingerPaused
    | SingerResumed
    | SingerBlocked
    | SingerUnblocked
    | RequestMoved
    | SingerBumped
    | ShowSettingsChanged
    | ShowClosed
    | KjActionTaken
    | KjActionReverted
)

EVENT_TYPES: tuple[type[Event], ...] = (
    ShowOpened,
    SingerJoined,
    SingerRenamed,
    SingerForgotten,
    SingersLinked,
    SongRequested,
    RequestWithdrawn,
    PerformanceStarted,
    PerformanceFinished,
    SingerSkipped,
    NextSingerCalled,
    PerformanceVoided,
    SingerPaused,
    SingerResumed,
    SingerBlocked,
    SingerUnblocked,
    RequestMoved,
    SingerBumped,
    ShowSettingsChanged,
    ShowClosed,
    KjActionTaken,
    KjActionReverted,
)

# Events after which what someone was told about their turn may no longer hold: a KJ action or its
# undo, a song taken back, a turn sat out, two singers becoming one, new settings (ETAs), the end of the show.
DISRUPTIVE: tuple[type[Event], ...] = (
    KjActionTaken,
    KjActionReverted,
    RequestWithdrawn,
    SingerSkipped,
    SingersLinked,
    ShowSettingsChanged,
    ShowClosed,
)


def anonymized(event: Event, forgotten: SingerForgotten) -> Event:
    """``event`` as it reads once ``forgotten``'s singer is forgotten: their joining and renames carry the
    anonymous name and identity, and their joining no person (or the person who stays, with other accounts),
    and so do earlier forgettings of theirs; every other event is returned as it is (none
    other names a person: a ``SingersLinked`` names only an opaque person id, which reaches only accounts of
    theirs that were not forgotten)."""
    if isinstance(event, SingerJoined) and event.singer_id == forgotten.singer_id:
        return SingerJoined(event.singer_id, forgotten.name, forgotten.platform, forgotten.user_id, event.occurred_at,
                            forgotten.person_id)
    if isinstance(event, SingerRenamed) and event.singer_id == forgotten.singer_id:
        return SingerRenamed(event.singer_id, forgotten.name, event.occurred_at)
    if isinstance(event, SingerForgotten) and event.singer_id == forgotten.singer_id:
        # An earlier forgetting (of another account of theirs) named them by the name they kept then.
        return SingerForgotten(event.singer_id, forgotten.name, event.platform, event.user_id, event.occurred_at,
                               forgotten.person_id)
    return event
