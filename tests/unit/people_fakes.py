"""``InMemoryPeopleStore`` (the ``PeopleStore`` port over dicts) and ``InMemoryShowsOfPeople`` (over the
in-memory show store), kept as the SQL tables keep them; ``tests/contracts`` holds them to the same promises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.people import Identity, Linked, LinkOutcome, PersonRecord
from core.rotation import SongRef
from tests.unit.rotation.fakes import InMemoryShowStore


@dataclass
class _Person:
    name: str | None
    muted: bool


@dataclass
class _Code:
    person_id: str
    expires_at: datetime
    used: bool = False


class InMemoryPeopleStore:
    """Implements ``core.people.PeopleStore``."""

    def __init__(self) -> None:
        self.people: dict[str, _Person] = {}
        self.identities: dict[tuple[str, str], str] = {}
        self.codes: dict[str, _Code] = {}
        self.attempts: list[tuple[str, str, datetime]] = []
        # person id -> [(song, added_at)], in the order marked
        self.favs: dict[str, list[tuple[SongRef, datetime]]] = {}

    def _record(self, person_id: str) -> PersonRecord:
        person = self.people[person_id]
        identities = tuple(sorted(Identity(p, u) for (p, u), pid in self.identities.items() if pid == person_id))
        return PersonRecord(person_id, person.name, person.muted, identities)

    async def person_of(self, platform: str, user_id: str, new_person_id: str) -> PersonRecord:
        person_id = self.identities.get((platform, user_id))
        if person_id is None:
            person_id = new_person_id
            self.people[person_id] = _Person(None, False)
            self.identities[(platform, user_id)] = person_id
        return self._record(person_id)

    async def find(self, platform: str, user_id: str) -> PersonRecord | None:
        person_id = self.identities.get((platform, user_id))
        return self._record(person_id) if person_id is not None else None

    async def get(self, person_id: str) -> PersonRecord | None:
        return self._record(person_id) if person_id in self.people else None

    async def add_walk_in(self, person_id: str, name: str) -> PersonRecord:
        self.people.setdefault(person_id, _Person(name, False))
        return self._record(person_id)

    async def set_name(self, person_id: str, name: str) -> None:
        if person_id in self.people:
            self.people[person_id].name = name

    async def set_muted(self, person_id: str, muted: bool) -> None:
        if person_id in self.people:
            self.people[person_id].muted = muted

    async def add_link_code(self, code_hash: str, person_id: str, created_at: datetime, expires_at: datetime) -> None:
        self.codes[code_hash] = _Code(person_id, expires_at)

    async def link(self, code_hash: str, platform: str, user_id: str, new_person_id: str, now: datetime) -> Linked:
        code = self.codes.get(code_hash)
        if code is None or code.person_id not in self.people:
            return Linked(LinkOutcome.UNKNOWN)
        if code.used:
            return Linked(LinkOutcome.USED)
        if code.expires_at <= now:
            return Linked(LinkOutcome.EXPIRED)
        mine = (await self.person_of(platform, user_id, new_person_id)).person_id
        if mine == code.person_id:
            return Linked(LinkOutcome.SELF, self._record(mine))
        code.used = True
        for key, person_id in list(self.identities.items()):
            if person_id == mine:
                self.identities[key] = code.person_id
        kept = {fav.song_id for fav, _ in self.favs.get(code.person_id, [])}
        moved = [(fav, at) for fav, at in self.favs.pop(mine, []) if fav.song_id not in kept]
        self.favs.setdefault(code.person_id, []).extend(moved)
        target, gone = self.people[code.person_id], self.people.pop(mine)
        if target.name is None:
            target.name = gone.name
        return Linked(LinkOutcome.DONE, self._record(code.person_id), mine)

    async def unlink(self, platform: str, user_id: str, new_person_id: str) -> PersonRecord | None:
        person_id = self.identities.get((platform, user_id))
        if person_id is None or sum(1 for pid in self.identities.values() if pid == person_id) < 2:
            return None
        self.people[new_person_id] = _Person(None, self.people[person_id].muted)
        self.identities[(platform, user_id)] = new_person_id
        return self._record(new_person_id)

    async def count_link_attempt(self, platform: str, user_id: str, now: datetime, window: timedelta) -> int:
        self.attempts = [a for a in self.attempts if a[2] > now - window]
        self.attempts.append((platform, user_id, now))
        return sum(1 for p, u, _ in self.attempts if (p, u) == (platform, user_id))

    async def add_favourite(self, person_id: str, song: SongRef, now: datetime) -> bool:
        favs = self.favs.setdefault(person_id, [])
        if any(fav.song_id == song.song_id for fav, _ in favs):
            return False
        favs.append((song, now))
        return True

    async def remove_favourite(self, person_id: str, song_id: str) -> bool:
        favs = self.favs.get(person_id, [])
        kept = [(fav, at) for fav, at in favs if fav.song_id != song_id]
        self.favs[person_id] = kept
        return len(kept) != len(favs)

    async def favourites(self, person_id: str) -> list[SongRef]:
        # Newest first; among marks of one moment, the later marked first (as the SQL store's tie-break by order).
        marked = list(enumerate(self.favs.get(person_id, [])))
        return [fav for _, (fav, _) in sorted(marked, key=lambda m: (m[1][1], m[0]), reverse=True)]


class InMemoryShowsOfPeople:
    """``ShowsOfPeople`` over the in-memory show store's rows, as ``SqlPeopleStore`` reads ``show_events``."""

    def __init__(self, store: InMemoryShowStore) -> None:
        self.store = store

    async def shows_of_person(self, person: PersonRecord, limit: int) -> list[str]:
        identities = {(i.platform, i.user_id) for i in person.identities}
        found = []
        for show_id, rows in self.store.rows.items():
            joined = [payload for _, kind, payload, _ in rows if kind == "SingerJoined"]
            if any(p.get("person_id") == person.person_id or (p.get("platform"), p.get("user_id")) in identities
                   for p in joined):
                found.append((str(rows[0][2]["opened_at"]), show_id))
        return [show_id for _, show_id in sorted(found, reverse=True)[:limit]]
