"""Forgetting a person: the rules of what changes in a show's event log, and the service that does it all.

The event log is otherwise append-only: events are facts and are never changed. Erasure on request is
the one sanctioned rewrite. The person's singer keeps their place in each show's history — what they
sang, when, how many songs a night had — but loses their identity: their name becomes
``ANONYMOUS_NAME`` and their platform and user id become ``ERASED_PLATFORM`` and an opaque random
alias, the same in every show, linked to nothing. The show still folds exactly as before (the alias
keeps the singer a distinct key), so its queue, history and counts still work.

Each show first gets a ``SingerForgotten`` event (through the rotation, like any change), so every
process holding the show in memory forgets them on its next read; then the store rewrites the
earlier events by the same rule (``core.rotation.events.anonymized``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.rotation import ForgetSinger, NotFound, RotationError, RotationService, SingerRef, WithdrawRequest
from core.rotation.events import Event, SingerForgotten, SingerJoined, anonymized

logger = logging.getLogger(__name__)

ANONYMOUS_NAME = "A singer"
ERASED_PLATFORM = "erased"


def erase_person(events: Sequence[tuple[int, Event]], platform: str, user_id: str,
                 alias: str) -> list[tuple[int, Event]]:
    """The events of one show's stream (``(seq, event)``) that change when ``(platform, user_id)`` is
    forgotten, each with its new form; events that do not change are left out.

    Every singer who joined as that person (``SingerJoined`` with their platform and id) joins as
    ``ANONYMOUS_NAME`` from ``(ERASED_PLATFORM, alias)`` instead, and their renames (stage names) name
    ``ANONYMOUS_NAME`` too. Nothing else names a person; walk-ins (no platform) are never touched.
    """
    forgotten = [SingerForgotten(e.singer_id, ANONYMOUS_NAME, ERASED_PLATFORM, alias, e.occurred_at)
                 for _, e in events if isinstance(e, SingerJoined) and e.platform == platform and e.user_id == user_id]
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

    async def shows_of(self, platform: str, user_id: str) -> list[str]:
        """The ids of the shows in which ``(platform, user_id)`` joined as a singer."""
        ...

    async def forget(self, platform: str, user_id: str, alias: str) -> Mapping[str, int]:
        """In one transaction: rewrite their events by ``erase_person`` (and command ids by
        ``erased_command_id``); delete their directory rows (person, KJ roles, button choices), the
        reminders about their requests, and the inbox and outbox rows from or to them or naming them.

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
        """How many songs of theirs wait in open shows (they are removed when the person is forgotten)."""
        return sum(len(ids) for _, _, ids in await self._waiting(platform, user_id))

    async def forget(self, platform: str, user_id: str) -> Forgotten | None:
        """Forget ``(platform, user_id)``; None when they were never known (nothing to do)."""
        withdrawn = 0
        shows = await self._store.shows_of(platform, user_id)
        alias = self._new_alias()
        for show_id, singer, request_ids in await self._waiting(platform, user_id, shows):
            for request_id in request_ids:
                try:
                    await self._rotation.execute(show_id, WithdrawRequest(f"forget:{alias}:{request_id}", singer,
                                                                          request_id))
                    withdrawn += 1
                except RotationError as error:  # sung or taken back meanwhile: nothing left to withdraw
                    logger.info("forgetting a singer: request %s stays (%s)", request_id, error.code)
        anonymous = SingerRef(ERASED_PLATFORM, alias, ANONYMOUS_NAME)
        for show_id in shows:
            # NotFound: an erasure interrupted before, after this show already forgot them.
            with contextlib.suppress(NotFound):
                await self._rotation.execute(show_id, ForgetSinger(f"forget:{alias}", SingerRef(
                    platform, user_id, ANONYMOUS_NAME), anonymous))
        counts = await self._store.forget(platform, user_id, alias)
        for show_id in shows:
            self._rotation.drop_cached(show_id)
        for callback in self._forgotten:
            callback(platform, user_id)
        if not shows and not any(counts.values()):
            return None
        logger.info("forgot a %s person: %s", platform,
                    ", ".join(f"{count} {what}" for what, count in sorted(counts.items())))
        return Forgotten(counts, withdrawn)

    async def _waiting(self, platform: str, user_id: str,
                       shows: Sequence[str] | None = None) -> list[tuple[str, SingerRef, list[str]]]:
        found = []
        for show_id in shows if shows is not None else await self._store.shows_of(platform, user_id):
            state = await self._rotation.state(show_id)
            singer_id = state.singer_keys.get((platform, user_id))
            if state.closed or singer_id is None:
                continue
            pending = state.pending_of(singer_id)
            if pending:
                singer = SingerRef(platform, user_id, state.singers[singer_id].name)
                found.append((show_id, singer, pending))
        return found
