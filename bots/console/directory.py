"""A ``ChatDirectory`` in process memory, for the console: everything is forgotten when it quits."""

from __future__ import annotations

from collections.abc import Sequence

from core.chat import Choice, Person, Room


class MemoryChatDirectory:
    """The chat directory in dicts; the same semantics the SQL tables documented in ``core.chat.directory`` have."""

    def __init__(self) -> None:
        self.rooms: dict[tuple[str, str], str] = {}
        self.current: dict[tuple[str, str], str] = {}
        self.kjs: dict[str, set[tuple[str, str]]] = {}
        self.people: dict[tuple[str, str], Person] = {}
        self.stage_names: dict[tuple[str, str], str] = {}
        self.choices: dict[str, Choice] = {}

    async def bind_room(self, room: Room, show_id: str) -> None:
        self.rooms[room.key] = show_id

    async def show_of_room(self, room: Room) -> str | None:
        return self.rooms.get(room.key)

    async def set_current_show(self, person: Person, show_id: str) -> None:
        self.current[person.key] = show_id

    async def current_show(self, person: Person) -> str | None:
        return self.current.get(person.key)

    async def add_kj(self, show_id: str, person: Person) -> None:
        self.kjs.setdefault(show_id, set()).add(person.key)

    async def is_kj(self, show_id: str, person: Person) -> bool:
        return person.key in self.kjs.get(show_id, set())

    async def remember_person(self, person: Person) -> None:
        self.people[person.key] = person

    async def find_person(self, platform: str, username: str) -> Person | None:
        wanted = username.removeprefix("@").casefold()
        for person in self.people.values():
            if person.platform == platform and person.username and person.username.casefold() == wanted:
                return person
        return None

    async def set_stage_name(self, person: Person, stage_name: str) -> None:
        self.stage_names[person.key] = stage_name

    async def stage_name(self, person: Person) -> str | None:
        return self.stage_names.get(person.key)

    async def save_choices(self, choices: Sequence[Choice]) -> None:
        for choice in choices:
            self.choices[choice.token] = choice

    async def get_choice(self, token: str) -> Choice | None:
        return self.choices.get(token)
