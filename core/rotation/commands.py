"""Imperative requests to change a show. Each carries a caller-chosen ``command_id`` for idempotency.

Ids of things a command creates (show, request, singer) are chosen by the caller too, so that
deciding stays deterministic. Commands whose docstring says "KJ" are undoable KJ actions
unless stated otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.rotation.settings import ShowSettings
from core.rotation.values import SingerRef, SongRef


@dataclass(frozen=True, slots=True)
class OpenShow:
    """Start a show with a name, a join code and settings (not undoable)."""

    command_id: str
    show_id: str
    name: str
    code: str
    settings: ShowSettings = field(default_factory=ShowSettings)


@dataclass(frozen=True, slots=True)
class RequestSong:
    """A singer asks for a song; an unknown singer joins the rotation first.

    ``new_singer_id`` is used only if the singer is new; when None it is derived from ``request_id``.
    """

    command_id: str
    singer: SingerRef
    song: SongRef
    request_id: str
    new_singer_id: str | None = None


@dataclass(frozen=True, slots=True)
class RenameSinger:
    """A singer in the show takes another name (shown in the queue and on the screen from now on)."""

    command_id: str
    singer: SingerRef
    name: str


@dataclass(frozen=True, slots=True)
class WithdrawRequest:
    """A singer takes back one of their own pending requests (not a KJ action)."""

    command_id: str
    singer: SingerRef
    request_id: str


@dataclass(frozen=True, slots=True)
class SkipMyTurn:
    """A singer gives up their turn this round for one of their own requests, keeping the song.

    The request may be waiting or just called up (performing); either way it goes back to waiting
    and their turn in the round counts as used. Nothing else moves: the KJ calls the next singer.
    """

    command_id: str
    singer: SingerRef
    request_id: str


@dataclass(frozen=True, slots=True)
class RemoveRequest:
    """KJ removes a pending request from the queue."""

    command_id: str
    request_id: str


@dataclass(frozen=True, slots=True)
class AdvanceQueue:
    """KJ: the current performance finishes and the next predicted request starts."""

    command_id: str


@dataclass(frozen=True, slots=True)
class SkipSinger:
    """KJ: pass over the called (next-up) singer: their turn this round is used, their song stays pending,
    and the singer after them is called. Whoever is at the mic sings on.

    ``request_id``, when given, must be the current next-up request (guards against a stale screen).
    """

    command_id: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class VoidPerformance:
    """KJ: the performer at the mic never came: their performance is voided (not counted as sung), their
    song stays pending with their turn used, and the called singer starts.

    ``request_id``, when given, must be the current performance (guards against a stale screen).
    """

    command_id: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class PauseSinger:
    """KJ: pass the singer over until resumed, keeping their place and requests."""

    command_id: str
    singer_id: str


@dataclass(frozen=True, slots=True)
class ResumeSinger:
    """KJ: bring a paused singer back at their old place."""

    command_id: str
    singer_id: str


@dataclass(frozen=True, slots=True)
class BlockSinger:
    """KJ: take no more songs from the singer in this show, and take their waiting songs out of the queue
    (not undoable: ``UnblockSinger`` lets them request again)."""

    command_id: str
    singer_id: str


@dataclass(frozen=True, slots=True)
class UnblockSinger:
    """KJ: take songs from a blocked singer again (not undoable)."""

    command_id: str
    singer_id: str


@dataclass(frozen=True, slots=True)
class MoveRequest:
    """KJ: put a pending request at ``position`` (1-based) of the upcoming list."""

    command_id: str
    request_id: str
    position: int


@dataclass(frozen=True, slots=True)
class BumpSinger:
    """KJ: the singer's next pending request becomes first in line."""

    command_id: str
    singer_id: str


@dataclass(frozen=True, slots=True)
class Undo:
    """KJ: revert the most recent KJ action that has not been reverted yet (undo is not itself undoable)."""

    command_id: str


@dataclass(frozen=True, slots=True)
class ChangeShowSettings:
    """KJ replaces the show's settings (not undoable; send the old settings back instead)."""

    command_id: str
    settings: ShowSettings


@dataclass(frozen=True, slots=True)
class CloseShow:
    """KJ ends the show; afterwards every command is refused with ``show-closed`` (not undoable)."""

    command_id: str


@dataclass(frozen=True, slots=True)
class LinkSingers:
    """Identities became one person (``person_id``): their singers in this show become one singer.

    ``identities`` are the person's chat identities ``(platform, user_id)`` and ``former`` the person
    ids they had before (now part of ``person_id``). Every singer found by any of them is the person;
    refused with ``not-found`` when none is in the show and ``conflict`` when they already are one
    singer of ``person_id``. Not undoable: linking is the people's doing, not the KJ's.
    """

    command_id: str
    person_id: str
    identities: tuple[tuple[str, str], ...]
    former: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ForgetSinger:
    """The account ``singer`` (by platform and user id) asked to be forgotten: each singer that joined with it
    (and, with ``singer.person_id``, a person forgotten with their last account, each singer of that person)
    becomes ``anonymous`` (name, platform and an opaque user id). A singer whose person is in ``staying``
    (``(person_id, name)`` pairs: people who keep other accounts) stays that person's, shown by that name;
    any other is linked to nothing. Accepted on closed shows too; not undoable."""

    command_id: str
    singer: SingerRef
    anonymous: SingerRef
    staying: tuple[tuple[str, str], ...] = ()


Command = (
    OpenShow
    | RequestSong
    | RenameSinger
    | WithdrawRequest
    | SkipMyTurn
    | RemoveRequest
    | AdvanceQueue
    | SkipSinger
    | VoidPerformance
    | PauseSinger
    | ResumeSinger
    | BlockSinger
    | UnblockSinger
    | MoveRequest
    | BumpSinger
    | Undo
    | ChangeShowSettings
    | CloseShow
    | ForgetSinger
    | LinkSingers
)
