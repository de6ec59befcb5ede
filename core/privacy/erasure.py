"""Forgetting a person: the rules of what changes in a show's event log, and the service that does it all.

The event log is otherwise append-only: events are facts and are never changed. Erasure on request is
the one sanctioned rewrite. The person's singer keeps their place in each show's history — what they
sang, when, how many songs a night had — but loses their identity: their name becomes
``ANONYMOUS_NAME`` and their platform and user id become ``ERASED_PLATFORM`` and an opaque random
alias, the same in every show, linked to nothing. The show still folds exactly as before (the alias
keeps the singer a distinct key), so its queue, history and counts still work.

Erasing works per account. A person who keeps other accounts (they linked Telegram and Slack, say) stays:
their singer loses the forgotten account's id and name but stays theirs, shown by the name they keep,
with their songs, place and turn. Forgetting a person's last account forgets the person: every singer of
theirs, whichever account it joined with, becomes anonymous.

Each show first gets a ``SingerForgotten`` event (through the rotation, like any change), so every
process holding the show in memory forgets them on its next read; then the store rewrites the
earlier events by the same rule (``core.rotation.events.anonymized``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.rotation import (
    PERSON,
    ForgetSinger,
    NotFound,
    RotationError,
    RotationService,
    ShowState,
    SingerRef,
    WithdrawRequest,
)
from core.rotation.events import Event, SingerForgotten, SingerJoined, anonymized

logger = logging.getLogger(__name__)

ANONYMOUS_NAME = "A singer"
ERASED_PLATFORM = "erased"


def erase_person(events: Sequence[tuple[int, Event]], platform: str, user_id: str, alias: str,
                 staying: Mapping[str, str] | None = None) -> list[tuple[int, Event]]:
    """The events of one show's stream (``(seq, event)``) that change when the account ``(platform, user_id)``
    is forgotten under ``alias``, each with its new form; events that do not change are left out.

    The singers forgotten are those who joined with that account, and those the stream's ``SingerForgotten``
    events under ``alias`` name (appended just before, by ``ForgetSinger``: the singers of a person who goes
    with this account). Each joins from ``(ERASED_PLATFORM, alias)`` instead, and their joining, renames and
    earlier forgettings name them as that event decided: ``ANONYMOUS_NAME`` and no person, or, for a person
    who keeps other accounts, that person and the name they keep. Without such an event (an erasure
    interrupted earlier) ``staying`` (person id -> name) decides the same way. Nothing else names a person;
    walk-ins (no platform) are never touched.
    """
    staying = staying or {}
    told = {e.singer_id: e for _, e in events if isinstance(e, SingerForgotten) and e.user_id == alias}
    forgotten: list[SingerForgotten] = []
    for _, e in events:
        if not isinstance(e, SingerJoined):
            continue
        decided = told.get(e.singer_id)
        if decided is not None:
            name, person_id = decided.name, decided.person_id
        elif e.platform == platform and e.user_id == user_id:
            person_id = e.person_id if e.person_id is not None and e.person_id in staying else None
            name = staying[person_id] if person_id is not None else ANONYMOUS_NAME
        else:
            continue
        forgotten.append(SingerForgotten(e.singer_id, name, ERASED_PLATFORM, alias, e.occurred_at, person_id))
    changed: list[tuple[int, Event]] = []
    for seq, event in events:
        new = event
        for singer in forgotten:
            new = anonymized(new, singer)
        if new != event:
            changed.append((seq, new))
    return changed


def erased_command_id(command_id: str, user_id: str, alias: str) -> str:
    """``command_id`` with every ``:``-separated part equal to ``user_id`` replaced by ``alias``.

    Chat command ids are ``chat:<platform>:<update key>``, and some platforms' update keys name the
    person (a Slack button press: ``action:<user id>:<time>:<message>``).
    """
    return ":".join(alias if part == user_id else part for part in command_id.split(":"))


def names_to_scan(names: Sequence[str | None], minimum: int = 3) -> list[str]:
    """The distinct names worth searching delivery records for: a name shorter than ``minimum`` would
    match nearly every message, and those records leave with the retention sweep anyway."""
    return sorted({n for n in names if n and len(n) >= minimum and n != ANONYMOUS_NAME})


class ErasureStore(Protocol):
    """Where a person's traces are, and their removal."""

    async def shows_of(self, platform: str, user_id: str, person_id: str | None = None) -> list[str]:
        """The ids of the shows in which ``(platform, user_id)`` joined as a singer, and, given ``person_id``,
        those in which a singer was that person's (joined, linked or kept as theirs)."""
        ...

    async def person_going(self, platform: str, user_id: str) -> str | None:
        """The account's person when it is their last account (they are forgotten with it), else None."""
        ...

    async def staying(self, platform: str, user_id: str, person_ids: Collection[str]) -> Mapping[str, str]:
        """Of ``person_ids``, the people who keep an account other than ``(platform, user_id)``, each with the
        name they are shown by without it: the name they chose, else a remaining account's display name."""
        ...

    async def forget(self, platform: str, user_id: str, alias: str,
                     staying: Mapping[str, str] | None = None) -> Mapping[str, int]:
        """In one transaction: rewrite their events by ``erase_person`` in every show of the account and of a
        person going with it (``staying`` as the eraser found it; command ids by ``erased_command_id``);
        delete their directory rows (account, KJ roles, button choices, where their browser joined from), the
        reminders about their requests, and the inbox and outbox rows from or to them or naming them. The
        account leaves its person; a person left with no account goes too.

        Returns how many rows changed, by kind; all zero when the person was never known.
        """
        ...


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forgetting someone did: rows changed by kind, and songs of theirs taken out of open shows."""

    counts: Mapping[str, int]
    withdrawn: int


class PeopleEraser:
    """Forgets a person everywhere: takes their waiting songs out of open shows, then has the store erase
    them, then tells this process's caches (``forgotten`` callbacks get ``(platform, user_id)``)."""

    def __init__(self, rotation: RotationService, store: ErasureStore, new_alias: Callable[[], str],
                 forgotten: Sequence[Callable[[str, str], None]] = ()) -> None:
        """``new_alias`` makes the opaque id that replaces theirs (random, unguessable, linked to nothing)."""
        self._rotation = rotation
        self._store = store
        self._new_alias = new_alias
        self._forgotten = list(forgotten)

    async def waiting_songs(self, platform: str, user_id: str) -> int:
        """How many songs of theirs wait in open shows and go when they are forgotten: none of a person who
        keeps other accounts (the songs are that person's, and stay)."""
        going, states, staying = await self._look(platform, user_id)
        return sum(len(ids) for _, _, ids in self._waiting(platform, user_id, going, states, staying))

    async def forget(self, platform: str, user_id: str) -> Forgotten | None:
        """Forget the account ``(platform, user_id)``; None when it was never known (nothing to do).

        A person with other accounts stays: in each show their singer loses this account's id and name but
        keeps its songs and place, and answers to the other accounts. A person with no other account goes,
        and so does what every singer of theirs was called."""
        withdrawn = 0
        going, states, staying = await self._look(platform, user_id)
        alias = self._new_alias()
        for show_id, singer, request_ids in self._waiting(platform, user_id, going, states, staying):
            for request_id in request_ids:
                try:
                    await self._rotation.execute(show_id, WithdrawRequest(f"forget:{alias}:{request_id}", singer,
                                                                          request_id))
                    withdrawn += 1
                except RotationError as error:  # sung or taken back meanwhile: nothing left to withdraw
                    logger.info("forgetting a singer: request %s stays (%s)", request_id, error.code)
        anonymous = SingerRef(ERASED_PLATFORM, alias, ANONYMOUS_NAME)
        kept = tuple(sorted(staying.items()))
        shows = [state.show_id for state in states]
        for show_id in shows:
            # NotFound: an erasure interrupted before, after this show already forgot them.
            with contextlib.suppress(NotFound):
                await self._rotation.execute(show_id, ForgetSinger(f"forget:{alias}", SingerRef(
                    platform, user_id, ANONYMOUS_NAME, going), anonymous, kept))
        counts = await self._store.forget(platform, user_id, alias, staying)
        for show_id in shows:
            self._rotation.drop_cached(show_id)
        for callback in self._forgotten:
            callback(platform, user_id)
        if not shows and not any(counts.values()):
            return None
        logger.info("forgot a %s person: %s", platform,
                    ", ".join(f"{count} {what}" for what, count in sorted(counts.items())))
        return Forgotten(counts, withdrawn)

    async def _look(self, platform: str, user_id: str) -> tuple[str | None, list[ShowState], Mapping[str, str]]:
        """The person going with the account (if it is their last), the shows to change, and the people of
        the account's singers who stay (with the names they keep)."""
        going = await self._store.person_going(platform, user_id)
        states = []
        for show_id in await self._store.shows_of(platform, user_id, going):
            with contextlib.suppress(NotFound):
                states.append(await self._rotation.state(show_id))
        persons = {singer.person_id for state in states for singer in state.singers.values()
                   if (singer.platform, singer.user_id) == (platform, user_id) and singer.person_id is not None}
        persons.discard(going or "")
        staying = await self._store.staying(platform, user_id, persons) if persons else {}
        return going, states, staying

    @staticmethod
    def _waiting(platform: str, user_id: str, going: str | None, states: Sequence[ShowState],
                 staying: Mapping[str, str]) -> list[tuple[str, SingerRef, list[str]]]:
        """Per open show, the account's singer (or the going person's) and its waiting songs, unless that
        singer is a person's who stays."""
        found = []
        for state in states:
            singer_id = state.singer_keys.get((platform, user_id))
            if singer_id is None and going is not None:
                singer_id = state.singer_keys.get((PERSON, going))
            if state.closed or singer_id is None or state.singers[singer_id].person_id in staying:
                continue
            pending = state.pending_of(singer_id)
            if pending:
                singer = SingerRef(platform, user_id, state.singers[singer_id].name, state.singers[singer_id].person_id)
                found.append((state.show_id, singer, pending))
        return found
