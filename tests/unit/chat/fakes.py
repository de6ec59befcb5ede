"""Hand-written fakes for the conversation tests: a chat directory, a catalog feed, a whole wired night."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime

from core.catalog import Song
from core.catalog.search import CatalogSearch
from core.chat import (
    ChatBot,
    Choice,
    Confirmations,
    OpeningRules,
    Person,
    Pressed,
    Reach,
    Redeemed,
    Reply,
    Room,
    Said,
)
from core.people import People
from core.privacy import PeopleEraser
from core.projections import PerformanceLog
from core.rotation import NoticePlanner, RotationService
from core.stats import FoldedStats, ProjectedSongHistory
from tests.unit.fakes import InMemorySongStore
from tests.unit.people_fakes import InMemoryPeopleStore
from tests.unit.privacy_fakes import InMemoryErasure
from tests.unit.rotation.fakes import CountingIds, InMemoryShowStore, RecordingSleeper, SteppingClock

PLATFORM = "test"
NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)

SONGS = [
    ("Bohemian Rhapsody", "Queen", 354),
    ("Don't Stop Me Now", "Queen", 209),
    ("Zombie", "The Cranberries", 306),
    ("Linger", "The Cranberries", 274),
    ("Dreams", "The Cranberries", 271),
    ("Dreams", "Fleetwood Mac", 257),
    ("Dancing Queen", "ABBA", 231),
    ("Waterloo", "ABBA", 164),
    ("Mamma Mia", "ABBA", 212),
    ("I Will Survive", "Gloria Gaynor", 198),
    ("Wonderwall", "Oasis", 258),
    ("Africa", "Toto", 295),
]


class InMemoryChatDirectory:
    """``ChatDirectory`` over dicts, keyed as the SQL tables would be."""

    def __init__(self) -> None:
        self.rooms: dict[tuple[str, str], str] = {}
        self.current: dict[tuple[str, str], str] = {}
        self.kjs: set[tuple[str, str, str]] = set()
        self.people: dict[tuple[str, str], Person] = {}
        self.stage_names: dict[tuple[str, str], str] = {}
        self.choices: dict[str, Choice] = {}
        self.private_rooms: dict[tuple[str, str], Room] = {}
        self.muted: set[tuple[str, str]] = set()

    async def bind_room(self, room: Room, show_id: str) -> None:
        self.rooms[room.key] = show_id

    async def show_of_room(self, room: Room) -> str | None:
        return self.rooms.get(room.key)

    async def set_current_show(self, person: Person, show_id: str) -> None:
        self.current[person.key] = show_id

    async def current_show(self, person: Person) -> str | None:
        return self.current.get(person.key)

    async def add_kj(self, show_id: str, person: Person) -> None:
        self.kjs.add((show_id, *person.key))

    async def is_kj(self, show_id: str, person: Person) -> bool:
        return (show_id, *person.key) in self.kjs

    async def remember_person(self, person: Person) -> None:
        self.people[person.key] = person

    async def find_person(self, platform: str, username: str) -> Person | None:
        return next(
            (p for p in self.people.values()
             if p.platform == platform and p.username and p.username.casefold() == username.casefold()),
            None,
        )

    async def set_stage_name(self, person: Person, stage_name: str) -> None:
        self.stage_names[person.key] = stage_name

    async def stage_name(self, person: Person) -> str | None:
        return self.stage_names.get(person.key)

    async def remember_private_room(self, person: Person, room: Room) -> None:
        self.people[person.key] = person
        self.private_rooms[person.key] = room

    async def set_muted(self, person: Person, muted: bool) -> None:
        if muted:
            self.muted.add(person.key)
        else:
            self.muted.discard(person.key)

    async def reach(self, platform: str, user_id: str) -> Reach | None:
        person = self.people.get((platform, user_id))
        if person is None:
            return None
        return Reach(person, self.private_rooms.get(person.key), person.key in self.muted)

    async def kjs_of(self, show_id: str) -> list[tuple[str, str]]:
        return sorted((platform, user_id) for show, platform, user_id in self.kjs if show == show_id)

    async def rooms_of(self, show_id: str) -> list[Room]:
        return [Room(platform, room_id, False) for (platform, room_id), show in self.rooms.items() if show == show_id]

    async def save_choices(self, choices: Sequence[Choice]) -> None:
        for choice in choices:
            self.choices[choice.token] = choice

    async def get_choice(self, token: str) -> Choice | None:
        return self.choices.get(token)


class InMemoryWebJoins:
    """``WebJoins`` in memory: each session's show, address key and slot."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, datetime, int | None]] = {}

    async def record(self, session_id: str, show_id: str, address_key: str, at: datetime, slot: int | None) -> bool:
        if slot is not None and any((s, a, n) == (show_id, address_key, slot) for s, a, _, n in self.rows.values()):
            return False
        self.rows[session_id] = (show_id, address_key, at, slot)
        return True

    async def joined_from(self, show_id: str, address_key: str, session_ids: Collection[str]) -> bool:
        return any(self.rows.get(session_id, ("", "", NOW, None))[:2] == (show_id, address_key)
                   for session_id in session_ids)


class InMemoryKjRegistry:
    """``KjRegistry`` over dicts; open shows are counted from a chat directory's KJs and a show store."""

    def __init__(self, directory: InMemoryChatDirectory, shows: InMemoryShowStore) -> None:
        self.directory = directory
        self.shows = shows
        # code hash -> [expires_at, redeemer or None]
        self.invites: dict[str, tuple[datetime, tuple[str, str] | None]] = {}
        self.registered: set[tuple[str, str]] = set()
        self.turn = asyncio.Lock()

    def opening_turn(self) -> asyncio.Lock:
        return self.turn

    async def add_invite(self, code_hash: str, created_at: datetime, expires_at: datetime) -> None:
        self.invites[code_hash] = (expires_at, None)

    async def invites_exist(self) -> bool:
        return bool(self.invites)

    async def redeem(self, code_hash: str, platform: str, user_id: str, now: datetime) -> Redeemed:
        found = self.invites.get(code_hash)
        if found is None:
            return Redeemed.UNKNOWN
        expires_at, redeemer = found
        if redeemer is not None:
            return Redeemed.ALREADY if redeemer == (platform, user_id) else Redeemed.USED
        if expires_at <= now:
            return Redeemed.EXPIRED
        self.invites[code_hash] = (expires_at, (platform, user_id))
        self.registered.add((platform, user_id))
        return Redeemed.DONE

    async def is_registered(self, platform: str, user_id: str) -> bool:
        return (platform, user_id) in self.registered

    async def open_shows_run_by(self, platform: str, user_id: str) -> int:
        page = await self.shows.list_shows("open", limit=len(self.shows.rows) or 1)
        open_ids = {summary.show_id for summary in page.items}
        return sum(1 for show, p, u in self.directory.kjs if (p, u) == (platform, user_id) and show in open_ids)


class FakeFeed(InMemorySongStore):
    """A fixed catalog: the in-memory song store (held to the SQL store's contract), seeded; also the bot's
    ``SongLookup``."""

    def __init__(self, songs: Sequence[tuple[str, str, int]] = SONGS) -> None:
        super().__init__()
        for i, (title, artist, duration) in enumerate(songs):
            self.songs[f"song-{i}"] = Song(f"song-{i}", title, artist, duration, None, NOW, NOW)


class Night:
    """A whole karaoke night wired from the real bot, rotation and search over fakes.

    ``say`` and ``press`` return the replies' text joined by newlines, which the tables check.
    """

    def __init__(
        self,
        bot_username: str | None = "karaokebot",
        *,
        store: InMemoryShowStore | None = None,
        notices: NoticePlanner | None = None,
        confirmations: Confirmations | None = None,
        opening: OpeningRules | None = None,
        forgetting: bool = False,
        performances: Callable[[InMemoryShowStore], PerformanceLog] | None = None,
    ) -> None:
        self.clock = SteppingClock(NOW)
        self.store = store or InMemoryShowStore()
        self.rotation = RotationService(self.store, self.clock, CountingIds(), random.Random(7), RecordingSleeper(),
                                        notices=notices)
        self.feed = FakeFeed()
        self.search = CatalogSearch(self.feed, monotonic=time.monotonic)
        self.directory = InMemoryChatDirectory()
        self.kjs = InMemoryKjRegistry(self.directory, self.store)
        self.people_store = InMemoryPeopleStore()
        self.erasure = InMemoryErasure(self.store, self.people_store, self._display_name)
        aliases = itertools.count(1)
        self.eraser = PeopleEraser(self.rotation, self.erasure, lambda: f"alias{next(aliases)}")
        self.tokens = itertools.count(1)
        person_ids = itertools.count(1)
        self.link_codes = (f"K7QX{n:04d}".translate(str.maketrans("0125", "3467")) for n in itertools.count(1))
        self.people = People(self.people_store, self.rotation, self.clock, new_id=lambda: f"person-{next(person_ids)}",
                             new_code=lambda: next(self.link_codes))
        # /again reads earlier nights as the service does, from the performances (folded here from the logs).
        self.song_history = ProjectedSongHistory(FoldedStats(self.rotation))
        self.bot = ChatBot(self.rotation, self.search, self.feed, self.directory, self.clock,
                           people=self.people, song_history=self.song_history,
                           bot_username=bot_username, new_token=lambda: f"tok{next(self.tokens)}",
                           confirmations=confirmations, kjs=self.kjs, opening=opening,
                           forgetter=self.eraser if forgetting else None,
                           performances=performances(self.store) if performances else None)
        self.updates = itertools.count(1)
        self.last: list[Reply] = []
        self.code = ""

    def _display_name(self, platform: str, user_id: str) -> str | None:
        person = self.directory.people.get((platform, user_id))
        return person.name if person is not None else None

    async def start(self) -> Night:
        await self.search.build()
        return self

    @staticmethod
    def person(who: str) -> Person:
        """``ann`` on the test platform; ``ann@slack`` is Ann's account on another platform."""
        name, _, platform = who.partition("@")
        return Person(platform or PLATFORM, f"u-{name}", name.capitalize(), name)

    @staticmethod
    def room(where: str) -> Room:
        return Room(PLATFORM, f"dm-{where}" if where == "dm" else where, where == "dm")

    def _room_for(self, who: str, where: str) -> Room:
        platform = self.person(who).platform
        return Room(platform, f"dm-{who}", True) if where == "dm" else Room(platform, where, False)

    async def send(self, who: str, where: str, text: str, update_key: str | None = None) -> list[Reply]:
        key = update_key or f"u{next(self.updates)}"
        self.last = await self.bot.handle(Said(self.person(who), self._room_for(who, where), text, key))
        return self.last

    async def say(self, who: str, where: str, text: str, update_key: str | None = None) -> str:
        return "\n".join(r.text for r in await self.send(who, where, text, update_key))

    async def press(self, who: str, where: str, label: str, data: str | None = None,
                    update_key: str | None = None) -> str:
        """Press the button of the last replies whose label contains ``label`` (or send raw ``data``)."""
        if data is None:
            data = next(b.data for r in self.last for b in r.buttons if label in b.label)
        key = update_key or f"u{next(self.updates)}"
        self.last = await self.bot.handle(Pressed(self.person(who), self._room_for(who, where), data, key))
        return "\n".join(r.text for r in self.last)

    async def open(self, who: str = "kim", where: str = "bar", name: str = "Friday Night") -> str:
        text = await self.say(who, where, f"/open {name}")
        self.code = text.split("Join code: ")[1][:5]
        return text

    async def queue_titles(self) -> list[str]:
        show_id = next(iter(self.store.rows))
        view = await self.rotation.queue(show_id)
        return [s.song.title for s in ([view.now] if view.now else []) + list(view.upcoming)]
