"""``SqlChatDirectory``: the bots' chat-side state (people, rooms, KJs, button choices) in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from core.chat import Choice, Person, Reach, Room
from storage.tables import chat_choices, chat_kjs, chat_people, chat_rooms


class SqlChatDirectory:
    """Implements ``core.chat.ChatDirectory``; every write is a single idempotent upsert."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        # A single statement needs no transaction around it: autocommit saves the BEGIN and the COMMIT (or
        # ROLLBACK) round trips of every read and of every write here, each of which is one statement.
        self._single = engine.execution_options(isolation_level="AUTOCOMMIT")
        # People as this process last wrote them: every update names its sender, and rewriting an
        # unchanged row would cost a commit per update. Bounded; a stale entry only costs a write.
        self._known: dict[tuple[str, str], Person] = {}
        self._private: dict[tuple[str, str], str] = {}

    async def _upsert(self, table: Table, values: dict[str, Any], keys: Sequence[str], changes: Sequence[str]) -> None:
        statement = self._dialect.insert(table).values(values)
        if changes:
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_={name: statement.excluded[name] for name in changes}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))
        async with self._single.connect() as conn:
            await conn.execute(statement)

    async def _one(self, query: Any) -> Any:
        async with self._single.connect() as conn:
            return (await conn.execute(query)).first()

    async def bind_room(self, room: Room, show_id: str) -> None:
        await self._upsert(chat_rooms, {"platform": room.platform, "room_id": room.room_id, "show_id": show_id},
                           ("platform", "room_id"), ("show_id",))

    async def show_of_room(self, room: Room) -> str | None:
        row = await self._one(select(chat_rooms.c.show_id).where(
            chat_rooms.c.platform == room.platform, chat_rooms.c.room_id == room.room_id))
        return str(row.show_id) if row else None

    async def remember_person(self, person: Person) -> None:
        if self._known.get(person.key) == person:
            return
        await self._upsert_person(person)

    async def _upsert_person(self, person: Person, **also: Any) -> None:
        """Store ``person``'s details (and the columns in ``also``) in one statement, row new or not."""
        details = {"name": person.name, "username": person.username,
                   "username_key": person.username.casefold() if person.username else None, "is_bot": person.is_bot}
        await self._upsert(chat_people, {"platform": person.platform, "user_id": person.user_id, **details, **also},
                           ("platform", "user_id"), (*details, *also))
        if len(self._known) > 50_000:
            self._known.clear()
        self._known[person.key] = person

    def forget_cached(self, platform: str, user_id: str) -> None:
        """The person was erased: the next update from them writes their row afresh."""
        self._known.pop((platform, user_id), None)
        self._private.pop((platform, user_id), None)

    async def _set_person_field(self, person: Person, **values: Any) -> None:
        await self.remember_person(person)
        where = (chat_people.c.platform == person.platform, chat_people.c.user_id == person.user_id)
        async with self._single.connect() as conn:
            if (await conn.execute(update(chat_people).where(*where).values(**values))).rowcount:
                return
        # Erased meanwhile (by another instance, whose cache this one does not share): store them again.
        self.forget_cached(*person.key)
        await self._upsert_person(person, **values)

    async def _person_field(self, person: Person, column: Any) -> Any:
        row = await self._one(select(column).where(
            chat_people.c.platform == person.platform, chat_people.c.user_id == person.user_id))
        return row[0] if row else None

    async def set_current_show(self, person: Person, show_id: str) -> None:
        await self._set_person_field(person, current_show=show_id)

    async def current_show(self, person: Person) -> str | None:
        found = await self._person_field(person, chat_people.c.current_show)
        return str(found) if found is not None else None

    async def set_stage_name(self, person: Person, stage_name: str) -> None:
        await self._set_person_field(person, stage_name=stage_name)

    async def stage_name(self, person: Person) -> str | None:
        found = await self._person_field(person, chat_people.c.stage_name)
        return str(found) if found is not None else None

    async def find_person(self, platform: str, username: str) -> Person | None:
        row = await self._one(select(chat_people).where(
            chat_people.c.platform == platform, chat_people.c.username_key == username.casefold()))
        if row is None:
            return None
        return Person(platform=row.platform, user_id=row.user_id, name=row.name, username=row.username,
                      is_bot=bool(row.is_bot))

    async def remember_private_room(self, person: Person, room: Room) -> None:
        if self._private.get(person.key) == room.room_id:
            await self.remember_person(person)
            return
        if self._known.get(person.key) == person:
            await self._set_person_field(person, private_room=room.room_id)
        else:
            # Someone new (or renamed) writing in private, as every singer's first message is: one statement.
            await self._upsert_person(person, private_room=room.room_id)
        if len(self._private) > 50_000:
            self._private.clear()
        self._private[person.key] = room.room_id

    async def set_muted(self, person: Person, muted: bool) -> None:
        await self._set_person_field(person, muted=muted)

    async def reach(self, platform: str, user_id: str) -> Reach | None:
        row = await self._one(select(chat_people).where(
            chat_people.c.platform == platform, chat_people.c.user_id == user_id))
        if row is None:
            return None
        person = Person(platform=row.platform, user_id=row.user_id, name=row.name, username=row.username,
                        is_bot=bool(row.is_bot))
        room = Room(row.platform, row.private_room, True) if row.private_room else None
        return Reach(person, room, bool(row.muted))

    async def kjs_of(self, show_id: str) -> list[tuple[str, str]]:
        query = select(chat_kjs.c.platform, chat_kjs.c.user_id).where(chat_kjs.c.show_id == show_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(chat_kjs.c.platform, chat_kjs.c.user_id))).all()
        return [(r.platform, r.user_id) for r in rows]

    async def rooms_of(self, show_id: str) -> list[Room]:
        query = select(chat_rooms.c.platform, chat_rooms.c.room_id).where(chat_rooms.c.show_id == show_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(chat_rooms.c.platform, chat_rooms.c.room_id))).all()
        return [Room(r.platform, r.room_id, False) for r in rows]

    async def add_kj(self, show_id: str, person: Person) -> None:
        await self._upsert(chat_kjs, {"show_id": show_id, "platform": person.platform, "user_id": person.user_id},
                           ("show_id", "platform", "user_id"), ())

    async def is_kj(self, show_id: str, person: Person) -> bool:
        row = await self._one(select(chat_kjs.c.show_id).where(
            chat_kjs.c.show_id == show_id, chat_kjs.c.platform == person.platform,
            chat_kjs.c.user_id == person.user_id))
        return row is not None

    async def save_choices(self, choices: Sequence[Choice]) -> None:
        rows = [
            {"token": c.token, "platform": c.platform, "user_id": c.user_id, "show_id": c.show_id,
             "action": c.action, "arg": c.arg, "expires_at": c.expires_at}
            for c in choices
        ]
        if rows:
            async with self._engine.begin() as conn:
                await conn.execute(insert(chat_choices), rows)

    async def get_choice(self, token: str) -> Choice | None:
        row = await self._one(select(chat_choices).where(chat_choices.c.token == token))
        if row is None:
            return None
        return Choice(token=row.token, platform=row.platform, user_id=row.user_id, show_id=str(row.show_id),
                      action=row.action, arg=row.arg, expires_at=row.expires_at)
