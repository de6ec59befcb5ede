"""Where a reminder reaches someone: a singer, the show's KJs, or the show's rooms.

A person is reached in their private chat with the bot if they opened one, else by a direct message
where the platform allows one (Slack), else by a mention in the show's room on their platform.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.chat import ButtonMaker, ButtonOption, ChatDirectory, Person, Reach, Reply, Room
from core.delivery import Outgoing
from core.people import PeopleStore, PersonRecord
from core.rotation import ShowState
from core.rotation.state import Singer

MESSAGE_PREFIX = "notice:"


class Recipients:
    """Builds the replies of reminders, with their buttons, for the people and rooms of a show."""

    def __init__(self, directory: ChatDirectory, buttons: ButtonMaker, direct_platforms: frozenset[str],
                 people: PeopleStore | None = None) -> None:
        """``direct_platforms`` can message a person who never opened a private chat (Slack DMs); ``people``
        knows the person behind a singer (their muting, their accounts)."""
        self._directory = directory
        self._buttons = buttons
        self._direct = direct_platforms
        self._people = people

    async def reach(self, singer: Singer) -> Reach | None:
        """How to reach a singer (None for a walk-in or someone who never wrote to the bot).

        A singer is reached through the account they joined with while it is still their person's; once
        unlinked from it, through another account of the person. Muting is the person's.
        """
        person = await self._person(singer)
        reach = None
        if singer.platform is not None and singer.user_id is not None and (
                person is None or any((i.platform, i.user_id) == (singer.platform, singer.user_id)
                                      for i in person.identities)):
            reach = await self._directory.reach(singer.platform, singer.user_id)
        elif person is not None:
            for identity in person.identities:
                reach = await self._directory.reach(identity.platform, identity.user_id)
                if reach is not None:
                    break
        if reach is None or person is None:
            return reach
        return Reach(reach.person, reach.private_room, person.muted)

    async def _person(self, singer: Singer) -> PersonRecord | None:
        if self._people is None:
            return None
        if singer.person_id is not None:
            return await self._people.get(singer.person_id)
        if singer.platform is not None and singer.user_id is not None:
            return await self._people.find(singer.platform, singer.user_id)
        return None

    async def to_singer(
        self, state: ShowState, singer: Singer, reach: Reach | None, text: str,
        options: Sequence[ButtonOption] = (),
    ) -> Reply | None:
        """A reply to ``singer``, or None if there is no way to reach them (a walk-in, no room)."""
        if reach is not None:
            return await self.to_person(state, reach.person, reach, text, options)
        if singer.platform is None or singer.user_id is None:
            return None
        person = Person(singer.platform, singer.user_id, singer.name)
        return await self.to_person(state, person, reach, text, options)

    async def to_person(
        self, state: ShowState, person: Person, reach: Reach | None, text: str, options: Sequence[ButtonOption] = ()
    ) -> Reply | None:
        """A reply to ``person``: their private chat, else a DM where the platform allows one, else a
        mention in the show's room on their platform; None if there is no way to reach them."""
        buttons = await self._buttons.make(person, state.show_id, options)
        if reach is not None and reach.private_room is not None:
            return Reply(reach.private_room, person, text, buttons)
        if person.platform in self._direct:
            return Reply(None, person, text, buttons)
        room = next((r for r in await self._directory.rooms_of(state.show_id) if r.platform == person.platform), None)
        if room is None:
            return None
        return Reply(Room(room.platform, room.room_id, False), person, text, buttons, mention=True)

    async def to_kjs(
        self, key: str, state: ShowState, text: str, options: Sequence[ButtonOption] = ()
    ) -> list[Outgoing]:
        """One message per KJ: privately where possible, else once in the show's room on their platform.

        Keyed by ``key`` and the KJ, so a settle repeated after a crash queues each KJ's message once.
        """
        messages: list[Outgoing] = []
        rooms_used: set[tuple[str, str]] = set()
        for platform, user_id in await self._directory.kjs_of(state.show_id):
            reach = await self._directory.reach(platform, user_id)
            person = reach.person if reach else Person(platform, user_id, "KJ")
            reply = await self.to_person(state, person, reach, text, options)
            if reply is None or (reply.room is not None and not reply.room.private and reply.room.key in rooms_used):
                continue
            if reply.room is not None and not reply.room.private:
                rooms_used.add(reply.room.key)
            messages.append(Outgoing(f"{MESSAGE_PREFIX}{key}:kj:{platform}:{user_id}", platform, reply))
        return messages

    async def to_rooms(self, key: str, state: ShowState, text: str) -> list[Outgoing]:
        """One message to each group room the show is bound to."""
        return [
            Outgoing(f"{MESSAGE_PREFIX}{key}:room:{room.platform}:{room.room_id}", room.platform,
                     Reply(Room(room.platform, room.room_id, False), None, text))
            for room in await self._directory.rooms_of(state.show_id)
        ]
