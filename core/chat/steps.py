"""What every room of the conversation shares: finding the show and the singer, searching, queueing a song,
withdrawing one, skipping the called singer, and the two ways of answering (to the asker, or to the room).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.catalog import Song
from core.catalog.search import CatalogSearch, FoundSong, QueryTooLong, SearchNotReady
from core.chat.buttons import ButtonMaker, ButtonOption
from core.chat.directory import ChatDirectory
from core.chat.messages import Messages
from core.chat.opening import OpeningGate
from core.chat.parsing import clean
from core.chat.ports import Confirmations, SongLookup
from core.chat.vocabulary import Button, ChatEvent, Person, Reply
from core.clock import Clock
from core.people import People, PersonRecord, SongHistory
from core.rotation import (
    LimitReached,
    QueueMoved,
    QueueView,
    RotationError,
    RotationService,
    ShowState,
    SingerRef,
    SkipMyTurn,
    SkipSinger,
    SongAlreadyQueued,
    SongRef,
    VoidPerformance,
    WithdrawRequest,
)
from core.stats import PerformanceStats

CHOICES = 5
# Search hits below this score are noise (a query of random letters still "matches" something faintly).
MIN_SCORE = 45.0
NAME_ON_SCREEN_MAX = 40


class Refusal(Exception):
    """A request that changes nothing, answered with one friendly line (raised inside the conversation only)."""

    def __init__(self, text: str) -> None:
        """Carry the line to tell the person."""
        super().__init__(text)
        self.text = text


@dataclass(frozen=True, slots=True)
class Found:
    """Search hits worth showing, and whether the first may be taken without asking."""

    items: tuple[FoundSong, ...]
    confident: bool


def command_id(event: ChatEvent) -> str:
    """The rotation command id of an update: a redelivered update repeats it, so it changes things once."""
    return f"chat:{event.person.platform}:{event.update_key}"


def song_ref(song: Song) -> SongRef:
    """The rotation's view of a catalog song."""
    return SongRef(song.song_id, song.title, song.artist, song.duration)


def number(text: str, default: int | None = None) -> int | None:
    """A small whole number as typed ("3"), ``default`` for nothing, None for anything else."""
    text = text.strip()
    if not text:
        return default
    return int(text) if text.isdigit() and len(text) <= 6 else None


class Steps:
    """The shared steps, over the rotation, search, the catalog, the chat directory and the clock."""

    def __init__(
        self,
        rotation: RotationService,
        search: CatalogSearch,
        songs: SongLookup,
        directory: ChatDirectory,
        clock: Clock,
        messages: Messages,
        buttons: ButtonMaker,
        confirmations: Confirmations,
        opening: OpeningGate,
        people: People,
        song_history: SongHistory | None = None,
        stats: PerformanceStats | None = None,
    ) -> None:
        """Wire the steps; every room of the conversation holds the same ``Steps``.

        ``song_history`` answers ``/again`` (without it, the bot says it remembers no earlier nights);
        ``stats`` answers ``/top`` and the earlier nights of ``/mysongs`` (without it, neither says any).
        """
        self.rotation = rotation
        self.search = search
        self.songs = songs
        self.directory = directory
        self.clock = clock
        self.say = messages
        self.buttons = buttons
        self.confirmations = confirmations
        self.opening = opening
        self.people = people
        self.song_history = song_history
        self.stats = stats

    # --- answering ------------------------------------------------------------------------------

    def refuse(self, key: str, /, **values: object) -> Refusal:
        """A refusal saying the catalogue's ``key`` (raise it)."""
        return Refusal(self.say(key, **values))

    @staticmethod
    def tell(event: ChatEvent, text: str, buttons: tuple[Button, ...] = ()) -> Reply:
        """An answer only the asker needs (refusals, lists, menus): ephemeral in a group."""
        return Reply(event.room, event.person, text, buttons, ephemeral=not event.room.private)

    @staticmethod
    def announce(event: ChatEvent, text: str) -> Reply:
        """An answer the whole room may read (a song queued, a KJ's change to the line)."""
        return Reply(event.room, event.person, text)

    @staticmethod
    def proclaim(event: ChatEvent, text: str) -> Reply:
        """The show moving on (who sings now, who was passed over), for the whole room: addressed to nobody
        in particular, so it is a message of its own, never a line in a list of answers to singers."""
        return Reply(event.room, None, text)

    # --- the show and the singer ------------------------------------------------------------------

    async def show_id(self, event: ChatEvent) -> str | None:
        """The show the event belongs to: the room's show in a bound group, else the person's current show."""
        if not event.room.private:
            bound = await self.directory.show_of_room(event.room)
            if bound is not None:
                if await self.directory.current_show(event.person) != bound:
                    await self.directory.set_current_show(event.person, bound)
                return bound
        return await self.directory.current_show(event.person)

    async def open_state(self, show_id: str) -> ShowState:
        """The show's state; refuses a closed show."""
        state = await self.rotation.state(show_id)
        if state.closed:
            raise self.refuse("closed")
        return state

    async def singer(self, person: Person) -> SingerRef:
        """The person as a singer (``People.singer``): the name they chose if they did, else their display name."""
        return await self.people.singer(person.platform, person.user_id, self.display_name(person))

    async def person(self, person: Person) -> PersonRecord:
        """The person behind the one writing (a new person the first time their identity is seen)."""
        return await self.people.person(person.platform, person.user_id)

    def display_name(self, person: Person) -> str:
        """The platform's display name, cleaned and bounded, else their handle."""
        name = clean(person.name)[:NAME_ON_SCREEN_MAX].strip()
        return name or person.username or self.say("singer.default_name")

    # --- songs --------------------------------------------------------------------------------------

    async def find(self, query: str) -> Found:
        """The songs worth offering for ``query``."""
        try:
            result = await self.search.search(query, CHOICES)
        except SearchNotReady:
            raise self.refuse("search.not_ready") from None
        except QueryTooLong:
            raise self.refuse("too_long") from None
        items = tuple(found for found in result.items if found.score >= MIN_SCORE)
        return Found(items, result.confident and bool(items))

    async def choices(self, event: ChatEvent, show_id: str, items: Sequence[FoundSong]) -> tuple[Button, ...]:
        """One button per song, pressing it requests the song."""
        options = [ButtonOption("request", found.song.song_id, self.say.song(song_ref(found.song)))
                   for found in items]
        return await self.buttons.make(event.person, show_id, options)

    async def queue_song(self, event: ChatEvent, show_id: str, song: Song, for_singer: SingerRef | None = None,
                         ) -> list[Reply]:
        """Request ``song`` for the asker (or, a KJ adding someone, ``for_singer``) in one rotation call, and
        say where it landed."""
        singer = for_singer or await self.singer(event.person)
        ref = song_ref(song)
        try:
            result = await self.rotation.request_song(show_id, command_id(event), singer, ref)
        except LimitReached as error:
            if for_singer is not None:
                raise self.refuse("add.limit", name=for_singer.name, limit=error.limit) from None
            key = "request.limit.one" if error.limit == 1 else "request.limit.many"
            raise self.refuse(key, limit=error.limit) from None
        except SongAlreadyQueued:
            raise self.refuse("request.duplicate", song=self.say.song(ref)) from None
        self.search.note_pick(ref.song_id)
        song_text = self.say.song(ref)
        if for_singer is not None:
            text = self._added(song_text, result.singer_name, result.position, result.eta_seconds)
        elif result.position is None or result.eta_seconds is None:
            text = self.say("request.queued.paused", song=song_text)
        elif result.position == 1:
            text = self.say("request.queued.next", song=song_text, wait=self.say.wait(result.eta_seconds))
        else:
            text = self.say("request.queued.place", song=song_text, place=self.say.ordinal(result.position),
                            wait=self.say.wait(result.eta_seconds))
        if result.already_sung_tonight:
            text += self.say("request.sung_before")
        return [self.announce(event, text)]

    def _added(self, song: str, name: str, position: int | None, eta_seconds: int | None) -> str:
        if position is None or eta_seconds is None:
            return self.say("add.queued.paused", song=song, name=name)
        if position == 1:
            return self.say("add.queued.next", song=song, name=name, wait=self.say.wait(eta_seconds))
        return self.say("add.queued.place", song=song, name=name, place=self.say.ordinal(position),
                        wait=self.say.wait(eta_seconds))

    async def withdraw(self, event: ChatEvent, state: ShowState, request_id: str) -> list[Reply]:
        """Take back one of the asker's own waiting songs."""
        singer = await self.singer(event.person)
        request = state.requests.get(request_id)
        try:
            await self.rotation.execute(state.show_id, WithdrawRequest(command_id(event), singer, request_id))
        except RotationError as error:
            if error.code in ("not-found", "conflict"):
                raise self.refuse("cancel.gone") from None
            raise
        title = self.say.song(request.song) if request else self.say("cancel.your_song")
        return [self.tell(event, self.say("cancel.done", song=title))]

    async def give_up_turn(self, event: ChatEvent, state: ShowState, request_id: str, suffix: str = "") -> None:
        """The asker sits this round out for ``request_id``, keeping the song."""
        singer = await self.singer(event.person)
        try:
            await self.rotation.execute(state.show_id, SkipMyTurn(command_id(event) + suffix, singer, request_id))
        except RotationError as error:
            if error.code in ("not-found", "conflict"):
                raise self.refuse("cancel.gone") from None
            raise

    async def skip_called(self, event: ChatEvent, state: ShowState, request_id: str) -> list[Reply]:
        """Pass over the called singer of ``request_id`` (/skip, or Skip on a no-show prompt); the one at the
        mic sings on. Says who was passed over and who is up next."""
        result = await self.rotation.execute(state.show_id, SkipSinger(command_id(event), request_id))
        if not isinstance(result, QueueMoved):
            raise TypeError(f"the rotation answered {result!r}")
        after = await self.rotation.state(state.show_id)
        skipped = after.requests[request_id]
        text = self.say("skip.done", name=after.singers[skipped.singer_id].name, title=skipped.song.title)
        view = await self.rotation.queue(state.show_id)
        following = next((s for s in view.upcoming if s.singer.singer_id != skipped.singer_id), None)
        if following is None:
            return [self.proclaim(event, text + self.say("skip.nobody_else"))]
        return [self.proclaim(event, text + self.say("skip.called", name=following.singer.name))]

    async def void_current(self, event: ChatEvent, state: ShowState) -> list[Reply]:
        """The performer at the mic never came (/skip now): void their performance, the called singer starts."""
        if state.now is None:
            raise self.refuse("skip.nobody_at_mic")
        result = await self.rotation.execute(state.show_id, VoidPerformance(command_id(event), state.now))
        if not isinstance(result, QueueMoved) or result.voided_request_id is None:
            raise TypeError(f"the rotation answered {result!r}")
        after = await self.rotation.state(state.show_id)
        voided = after.requests[result.voided_request_id]
        text = self.say("void.done", name=after.singers[voided.singer_id].name, title=voided.song.title)
        if result.started_request_id is None:
            return [self.proclaim(event, text + self.say("void.nobody_else"))]
        view = await self.rotation.queue(state.show_id)
        return [self.proclaim(event, text + " " + self.now_singing(after, result.started_request_id, view))]

    async def check_may_open(self, person: Person) -> None:
        """Refuse, with how to become a KJ, anyone the operator has not allowed to open shows."""
        if not await self.opening.may_open(person):
            raise self.refuse("open.not_allowed")

    async def open_show(self, event: ChatEvent, name: str) -> list[Reply]:
        """Open a show named ``name``, bound to the event's group; the asker is its KJ.

        Refused when the service already runs its most open shows, or the asker theirs. Counting and opening
        (down to making the asker its KJ, which the per-person count reads) take one turn, so updates handled
        at once, here or on another instance, cannot all see room under the limits.
        """
        async with self.opening.turn():
            open_now = (await self.rotation.list_shows("open", limit=1)).total
            limit = await self.opening.over_limit(event.person, open_now)
            if limit is not None:
                rules = self.opening.rules
                raise self.refuse(limit, max=rules.max_open_shows if limit == "open.limit.global"
                                  else rules.max_open_per_person)
            started = await self.rotation.open_show(command_id(event), name)
            await self.directory.add_kj(started.show_id, event.person)
        if not event.room.private:
            await self.directory.bind_room(event.room, started.show_id)
        await self.directory.set_current_show(event.person, started.show_id)
        key = "open.private" if event.room.private else "open.group"
        return [self.announce(event, self.say(key, show=self.say.quoted(name), code=started.code))]

    def now_singing(self, state: ShowState, request_id: str, view: QueueView) -> str:
        """Who sings now, and who is up next."""
        request = state.requests[request_id]
        text = self.say("now_singing", entry=self.say.entry(state.singers[request.singer_id].name, request.song))
        if view.upcoming:
            text += self.say("now_singing.up_next", name=view.upcoming[0].singer.name)
        return text
