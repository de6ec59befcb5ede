"""``People``: the people behind identities, linking identities into one person, and walk-ins.

``People.singer`` is THE place where an identity becomes the rotation's ``SingerRef``: every way in
(the chat today, a web session tomorrow) asks it, so a person is one singer whichever way they came.

Linking, and what it does to a show under way: when two identities become one person while both are
singers in an open show, they become one singer there (``LinkSingers``): the earlier place in the
rotation, all their waiting songs in one list in the order they were asked for, their turn this round
used if either had it (a call that would make them sing twice in one round is released and the
singer told). Songs over ``max_pending`` stay; they just cannot ask for more until under it again.
Unlinking does not split a singer: songs already waiting stay with the person, and the identity
that left is a singer of its own from its next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.clock import Clock
from core.people.linking import (
    LINK_ADDRESS,
    LINK_ADDRESS_ATTEMPTS,
    LINK_ATTEMPT_WINDOW,
    LINK_ATTEMPTS,
    LINK_LIFETIME,
    hash_link_code,
    new_link_code,
    normalize_link_code,
)
from core.people.model import LinkOutcome, PastSong, PersonRecord
from core.people.ports import PeopleStore, ShowsOfPeople
from core.rotation import Conflict, LinkSingers, NotFound, RotationService, ShowState, SingerRef

SHOWS_PAGE = 50
# Walk-ins added by one command are one person however often the command is repeated.
_WALK_IN_NAMESPACE = uuid.UUID("3c5e9b7a-1f2d-4e6b-8a9c-0d1e2f3a4b5c")
# /again looks at this many of the person's latest shows.
SHOWS_SCANNED = 30


@dataclass(frozen=True, slots=True)
class LinkedShow:
    """An open show in which the linked identities were two singers and are one now."""

    show_id: str
    name: str
    waiting: int


@dataclass(frozen=True, slots=True)
class LinkReport:
    """What ``People.link`` did: the outcome, the person afterwards, and the shows where singers became one."""

    outcome: LinkOutcome
    person: PersonRecord | None = None
    shows: tuple[LinkedShow, ...] = ()


class People:
    """People over a ``PeopleStore``, keeping open shows true when identities are linked."""

    def __init__(
        self,
        store: PeopleStore,
        rotation: RotationService,
        clock: Clock,
        *,
        new_id: Callable[[], str],
        new_code: Callable[[], str] = new_link_code,
        attempts: int = LINK_ATTEMPTS,
    ) -> None:
        """``new_id`` names new people; ``new_code`` makes link codes (tests pass their own of each)."""
        self.store = store
        self._rotation = rotation
        self._clock = clock
        self._new_id = new_id
        self._new_code = new_code
        self._attempts = attempts

    async def person(self, platform: str, user_id: str) -> PersonRecord:
        """The person behind an identity (a new one the first time it is seen)."""
        return await self.store.person_of(platform, user_id, self._new_id())

    async def singer(self, platform: str, user_id: str, display_name: str) -> SingerRef:
        """The identity as the rotation's singer: their person, shown by the name the person chose, else
        ``display_name`` (their platform's name)."""
        person = await self.person(platform, user_id)
        return SingerRef(platform, user_id, person.name or display_name, person.person_id)

    @staticmethod
    def walk_in_singer(person: PersonRecord, name: str) -> SingerRef:
        """A walk-in (a person without identities) as the rotation's singer."""
        return SingerRef(None, None, person.name or name, person.person_id)

    async def add_walk_in(self, person_id: str, name: str) -> PersonRecord:
        """A new person without identities (the same one again for a repeated ``person_id``)."""
        return await self.store.add_walk_in(person_id, name)

    async def walk_in(self, state: ShowState, name: str, command_id: str) -> SingerRef:
        """Whom a KJ means by ``name`` in the show (chat ``/add``, the dashboard, the admin API): the singer of
        the show who goes by it (a walk-in added before, or a singer with a phone), else a new walk-in person
        of that name. The new person's id derives from the show and ``command_id``, so a repeated command makes
        one person."""
        folded = name.strip().casefold()
        for singer_id in state.rotation:
            singer = state.singers[singer_id]
            if singer.name.strip().casefold() == folded:
                return SingerRef(singer.platform, singer.user_id, singer.name, singer.person_id)
        person_id = str(uuid.uuid5(_WALK_IN_NAMESPACE, f"{state.show_id}:{command_id}"))
        person = await self.add_walk_in(person_id, name.strip())
        return self.walk_in_singer(person, name.strip())

    async def link_code(self, person_id: str) -> str:
        """A fresh one-time code another identity sends to become ``person_id`` too; valid ``LINK_LIFETIME``."""
        code = self._new_code()
        now = self._clock.now()
        await self.store.add_link_code(hash_link_code(code), person_id, now, now + LINK_LIFETIME)
        return code

    async def link(self, platform: str, user_id: str, typed: str, command_id: str, *,
                   address: str | None = None) -> LinkReport:
        """The identity sends ``typed``: if it is a live code, its person joins the code's person, and in
        every open show where they were separate singers they become one.

        Each identity may try ``LINK_ATTEMPTS`` codes within ``LINK_ATTEMPT_WINDOW``; past that the code is
        not looked at (LIMITED), so guessing codes gets nowhere. Where identities are free to make (a web
        page), ``address`` names where the attempt came from (a keyed hash, never the address itself): each
        may try ``LINK_ADDRESS_ATTEMPTS`` codes in the window, however many identities it makes.
        """
        now = self._clock.now()
        if await self.store.count_link_attempt(platform, user_id, now, LINK_ATTEMPT_WINDOW) > self._attempts:
            return LinkReport(LinkOutcome.LIMITED)
        if address is not None and await self.store.count_link_attempt(
                LINK_ADDRESS, address, now, LINK_ATTEMPT_WINDOW) > LINK_ADDRESS_ATTEMPTS:
            return LinkReport(LinkOutcome.LIMITED)
        code = normalize_link_code(typed)
        if code is None:
            return LinkReport(LinkOutcome.UNKNOWN)
        linked = await self.store.link(hash_link_code(code), platform, user_id, self._new_id(), now)
        if linked.outcome is not LinkOutcome.DONE or linked.person is None:
            return LinkReport(linked.outcome, linked.person)
        former = (linked.former,) if linked.former else ()
        shows = await self._link_in_open_shows(linked.person, former, command_id)
        return LinkReport(LinkOutcome.DONE, linked.person, shows)

    async def unlink(self, platform: str, user_id: str) -> PersonRecord | None:
        """The identity becomes a person of its own again; None when it was not linked to anything."""
        return await self.store.unlink(platform, user_id, self._new_id())

    async def _link_in_open_shows(
        self, person: PersonRecord, former: tuple[str, ...], command_id: str
    ) -> tuple[LinkedShow, ...]:
        identities = tuple((i.platform, i.user_id) for i in person.identities)
        merged: list[LinkedShow] = []
        page = 1
        while True:
            shows = await self._rotation.list_shows("open", page=page, limit=SHOWS_PAGE)
            for summary in shows.items:
                command = LinkSingers(f"link:{command_id}", person.person_id, identities, former)
                try:
                    await self._rotation.execute(summary.show_id, command)
                except (NotFound, Conflict):
                    continue  # not in that show, or one singer there already
                state = await self._rotation.state(summary.show_id)
                singer_id = state.singer_of(SingerRef(None, None, "", person.person_id))
                waiting = len(state.pending_of(singer_id)) if singer_id else 0
                merged.append(LinkedShow(summary.show_id, summary.name, waiting))
            if page * SHOWS_PAGE >= shows.total:
                return tuple(merged)
            page += 1


class LoggedSongHistory:
    """``SongHistory`` read from the shows' event logs: the shows a person joined, folded, their songs sung.

    Reads at most ``SHOWS_SCANNED`` shows per question; a performances projection can replace it.
    """

    def __init__(self, rotation: RotationService, shows: ShowsOfPeople) -> None:
        """Read shows through ``rotation``; ``shows`` says which shows a person joined."""
        self._rotation = rotation
        self._shows = shows

    async def sung_by(self, person: PersonRecord, except_show: str | None, limit: int) -> Sequence[PastSong]:
        """Distinct songs sung in the person's other shows, the most recently sung first."""
        identities = {(i.platform, i.user_id) for i in person.identities}
        # song id -> (when last sung, how late in the reading: what was sung later in a night comes first)
        found: dict[str, tuple[PastSong, int]] = {}
        seen = 0
        for show_id in await self._shows.shows_of_person(person, SHOWS_SCANNED):
            if show_id == except_show:
                continue
            try:
                state = await self._rotation.state(show_id)
            except NotFound:
                continue
            theirs = {
                singer_id for singer_id, s in state.singers.items()
                if s.person_id == person.person_id or (s.platform is not None and (s.platform, s.user_id) in identities)
            }
            for entry in state.history:
                if entry.outcome != "sung" or entry.singer_id not in theirs:
                    continue
                seen += 1
                known = found.get(entry.song.song_id)
                if known is None or known[0].sung_at <= entry.finished_at:
                    found[entry.song.song_id] = (PastSong(entry.song, entry.finished_at), seen)
        latest = sorted(found.values(), key=lambda item: (item[0].sung_at, item[1]), reverse=True)
        return [past for past, _ in latest[:limit]]
