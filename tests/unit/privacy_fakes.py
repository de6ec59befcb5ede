"""``InMemoryErasure``: the ``ErasureStore`` port over the in-memory show store, by the same core rules."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from core.privacy import ANONYMOUS_NAME, erase_person, erased_command_id
from core.rotation.codec import event_from_dict, event_to_dict
from tests.unit.people_fakes import InMemoryPeopleStore
from tests.unit.rotation.fakes import InMemoryShowStore


class InMemoryErasure:
    """Rewrites the fake store's rows as ``SqlErasure`` rewrites ``show_events``; remembers who was forgotten.
    Given the people (and the accounts' display names), the account leaves its person as in ``SqlErasure``."""

    def __init__(self, store: InMemoryShowStore, people: InMemoryPeopleStore | None = None,
                 display_name: Callable[[str, str], str | None] = lambda platform, user_id: None) -> None:
        self.store = store
        self.people = people
        self.display_name = display_name
        self.forgotten: list[tuple[str, str, str]] = []

    async def staying(self, platform: str, user_id: str, person_ids: Collection[str]) -> Mapping[str, str]:
        if self.people is None:
            return {}
        kept: dict[str, str] = {}
        for person_id in person_ids:
            person = await self.people.get(person_id)
            others = [i for i in person.identities if (i.platform, i.user_id) != (platform, user_id)] if person else []
            if person is not None and others:
                kept[person_id] = (person.name or self.display_name(others[0].platform, others[0].user_id)
                                   or ANONYMOUS_NAME)
        return kept

    async def shows_of(self, platform: str, user_id: str, person_id: str | None = None) -> list[str]:
        return sorted(show_id for show_id, rows in self.store.rows.items()
                      if any((kind == "SingerJoined" and payload.get("platform") == platform
                              and payload.get("user_id") == user_id)
                             or (person_id is not None and payload.get("person_id") == person_id
                                 and kind in ("SingerJoined", "SingersLinked", "SingerForgotten"))
                             for _, kind, payload, _ in rows))

    async def person_going(self, platform: str, user_id: str) -> str | None:
        if self.people is None:
            return None
        person_id = self.people.identities.get((platform, user_id))
        others = [key for key, pid in self.people.identities.items() if pid == person_id and key != (platform, user_id)]
        return person_id if person_id is not None and not others else None

    async def forget(self, platform: str, user_id: str, alias: str,
                     staying: Mapping[str, str] | None = None) -> Mapping[str, int]:
        self.forgotten.append((platform, user_id, alias))
        changed = 0
        if self.people is not None:
            person_id = self.people.identities.pop((platform, user_id), None)
            if person_id is not None and person_id not in self.people.identities.values():
                self.people.people.pop(person_id, None)
                self.people.favs.pop(person_id, None)
        for rows in self.store.rows.values():
            events = [(seq, event_from_dict(kind, dict(payload))) for seq, kind, payload, _ in rows]
            for seq, event in erase_person(events, platform, user_id, alias, staying):
                _, old_kind, _, command_id = rows[seq - 1]
                rows[seq - 1] = (seq, old_kind, event_to_dict(event)[1], command_id)
                changed += 1
            for index, (seq, kind, payload, command_id) in enumerate(rows):
                if command_id is not None and erased_command_id(command_id, user_id, alias) != command_id:
                    rows[index] = (seq, kind, payload, erased_command_id(command_id, user_id, alias))
                    changed += 1
        return {"events": changed}
