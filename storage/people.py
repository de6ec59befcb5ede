"""``SqlPeopleStore``: people, their identities, link codes and favourites on SQLite and PostgreSQL; and which
shows a person sang in (``ShowsOfPeople``), read from ``show_events``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.people import Identity, Linked, LinkOutcome, PersonRecord
from core.rotation import SongRef
from storage.tables import favourites, link_attempts, link_codes, people, person_identities, show_events, shows

# Built once: every update asks who its sender is (a statement built per call costs its construction and
# its cache key each time).
_MINE, _THEIRS = person_identities.alias("mine"), person_identities.alias("theirs")
_PERSON_OF_IDENTITY = (
    select(people.c.person_id, people.c.name, people.c.muted, _THEIRS.c.platform, _THEIRS.c.user_id)
    .select_from(_MINE.join(people, people.c.person_id == _MINE.c.person_id)
                 .join(_THEIRS, _THEIRS.c.person_id == people.c.person_id))
    .where(_MINE.c.platform == bindparam("of_platform"), _MINE.c.user_id == bindparam("of_user_id"))
    .order_by(_THEIRS.c.platform, _THEIRS.c.user_id)
)


class SqlPeopleStore:
    """Implements ``core.people.PeopleStore`` and ``core.people.ShowsOfPeople``.

    Linking is one transaction: the code is used by a conditional ``UPDATE`` (unused, unexpired), and the
    identity's person (identities, favourites, name) moves into the code's person, so two identities
    racing for one code on any number of instances link exactly one.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect: Any = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    @staticmethod
    async def _record(conn: AsyncConnection, person_id: str) -> PersonRecord | None:
        row = (await conn.execute(select(people).where(people.c.person_id == person_id))).first()
        if row is None:
            return None
        found = await conn.execute(select(person_identities.c.platform, person_identities.c.user_id).where(
            person_identities.c.person_id == person_id).order_by(person_identities.c.platform,
                                                                  person_identities.c.user_id))
        return PersonRecord(row.person_id, row.name, bool(row.muted), tuple(Identity(*r) for r in found))

    @staticmethod
    async def _record_of_identity(conn: AsyncConnection, platform: str, user_id: str) -> PersonRecord | None:
        """The person behind an identity, with all their identities, in one round trip (every update asks)."""
        rows = (await conn.execute(_PERSON_OF_IDENTITY, {"of_platform": platform, "of_user_id": user_id})).all()
        if not rows:
            return None
        first = rows[0]
        return PersonRecord(first.person_id, first.name, bool(first.muted),
                            tuple(Identity(r.platform, r.user_id) for r in rows))

    @staticmethod
    async def _person_id(conn: AsyncConnection, platform: str, user_id: str) -> str | None:
        found = (await conn.execute(select(person_identities.c.person_id).where(
            person_identities.c.platform == platform, person_identities.c.user_id == user_id))).scalar()
        return str(found) if found is not None else None

    async def _ensure(self, conn: AsyncConnection, platform: str, user_id: str, new_person_id: str, *,
                      looked: bool = False) -> str:
        """The identity's person, made as ``new_person_id`` if it has none. ``looked``: the caller has just found
        none, so the insert is tried at once (a concurrent writer is caught by the conflict all the same)."""
        found = None if looked else await self._person_id(conn, platform, user_id)
        if found is not None:
            return found
        await conn.execute(insert(people).values(person_id=new_person_id, name=None, muted=False))
        added = await conn.execute(self._dialect.insert(person_identities).values(
            platform=platform, user_id=user_id, person_id=new_person_id).on_conflict_do_nothing())
        if added.rowcount:
            return new_person_id
        # Another writer gave the identity its person first: that one it is.
        await conn.execute(delete(people).where(people.c.person_id == new_person_id))
        found = await self._person_id(conn, platform, user_id)
        assert found is not None
        return found

    async def person_of(self, platform: str, user_id: str, new_person_id: str) -> PersonRecord:
        async with self._reads.connect() as conn:
            record = await self._record_of_identity(conn, platform, user_id)
        if record is not None:
            return record
        async with self._engine.begin() as conn:
            person_id = await self._ensure(conn, platform, user_id, new_person_id, looked=True)
            if person_id == new_person_id:
                # Made just now: no name yet, not muted, this one identity. Nothing to read back.
                return PersonRecord(person_id, None, False, (Identity(platform, user_id),))
            record = await self._record(conn, person_id)
        assert record is not None
        return record

    async def find(self, platform: str, user_id: str) -> PersonRecord | None:
        async with self._reads.connect() as conn:
            return await self._record_of_identity(conn, platform, user_id)

    async def get(self, person_id: str) -> PersonRecord | None:
        async with self._reads.connect() as conn:
            return await self._record(conn, person_id)

    async def add_walk_in(self, person_id: str, name: str) -> PersonRecord:
        async with self._engine.begin() as conn:
            await conn.execute(self._dialect.insert(people).values(person_id=person_id, name=name, muted=False)
                               .on_conflict_do_nothing())
            record = await self._record(conn, person_id)
        assert record is not None
        return record

    async def set_name(self, person_id: str, name: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(people).where(people.c.person_id == person_id).values(name=name))

    async def set_muted(self, person_id: str, muted: bool) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(people).where(people.c.person_id == person_id).values(muted=muted))

    async def add_link_code(self, code_hash: str, person_id: str, created_at: datetime, expires_at: datetime) -> None:
        async with self._engine.begin() as conn:
            # Codes a day past their end are of no use to anyone: they go as new ones come.
            await conn.execute(delete(link_codes).where(link_codes.c.expires_at < created_at - timedelta(days=1)))
            await conn.execute(insert(link_codes).values(code_hash=code_hash, person_id=person_id,
                                                         created_at=created_at, expires_at=expires_at))

    async def link(self, code_hash: str, platform: str, user_id: str, new_person_id: str, now: datetime) -> Linked:
        async with self._engine.begin() as conn:
            code = (await conn.execute(select(link_codes).where(link_codes.c.code_hash == code_hash))).first()
            target = await self._record(conn, code.person_id) if code is not None else None
            if code is None or target is None:
                return Linked(LinkOutcome.UNKNOWN)
            if code.used_at is not None:
                return Linked(LinkOutcome.USED)
            if code.expires_at <= now:
                return Linked(LinkOutcome.EXPIRED)
            mine = await self._ensure(conn, platform, user_id, new_person_id)
            if mine == target.person_id:
                return Linked(LinkOutcome.SELF, target)
            used = await conn.execute(update(link_codes).where(
                link_codes.c.code_hash == code_hash, link_codes.c.used_at.is_(None), link_codes.c.expires_at > now,
            ).values(used_at=now))
            if not used.rowcount:
                return Linked(LinkOutcome.USED)
            into = target.person_id
            await conn.execute(update(person_identities).where(person_identities.c.person_id == mine)
                               .values(person_id=into))
            theirs = select(favourites.c.song_id).where(favourites.c.person_id == into).scalar_subquery()
            await conn.execute(update(favourites).where(favourites.c.person_id == mine,
                                                        favourites.c.song_id.not_in(theirs)).values(person_id=into))
            await conn.execute(delete(favourites).where(favourites.c.person_id == mine))
            gone = (await conn.execute(select(people.c.name).where(people.c.person_id == mine))).scalar()
            if target.name is None and gone is not None:
                await conn.execute(update(people).where(people.c.person_id == into).values(name=gone))
            await conn.execute(delete(people).where(people.c.person_id == mine))
            await conn.execute(delete(link_codes).where(link_codes.c.person_id == mine))
            record = await self._record(conn, into)
        assert record is not None
        return Linked(LinkOutcome.DONE, record, mine)

    async def unlink(self, platform: str, user_id: str, new_person_id: str) -> PersonRecord | None:
        async with self._engine.begin() as conn:
            person_id = await self._person_id(conn, platform, user_id)
            if person_id is None:
                return None
            count = (await conn.execute(select(func.count()).select_from(person_identities).where(
                person_identities.c.person_id == person_id))).scalar()
            if not count or count < 2:
                return None
            muted = (await conn.execute(select(people.c.muted).where(people.c.person_id == person_id))).scalar()
            await conn.execute(insert(people).values(person_id=new_person_id, name=None, muted=bool(muted)))
            await conn.execute(update(person_identities).where(
                person_identities.c.platform == platform, person_identities.c.user_id == user_id,
            ).values(person_id=new_person_id))
            return await self._record(conn, new_person_id)

    async def count_link_attempt(self, platform: str, user_id: str, now: datetime, window: timedelta) -> int:
        async with self._engine.begin() as conn:
            await conn.execute(delete(link_attempts).where(link_attempts.c.attempted_at <= now - window))
            await conn.execute(insert(link_attempts).values(platform=platform, user_id=user_id, attempted_at=now))
            return int((await conn.execute(select(func.count()).select_from(link_attempts).where(
                link_attempts.c.platform == platform, link_attempts.c.user_id == user_id))).scalar() or 0)

    async def add_favourite(self, person_id: str, song: SongRef, now: datetime) -> bool:
        async with self._engine.begin() as conn:
            added = await conn.execute(self._dialect.insert(favourites).values(
                person_id=person_id, song_id=song.song_id, title=song.title[:200], artist=song.artist[:200],
                duration=song.duration, added_at=now).on_conflict_do_nothing())
            return bool(added.rowcount)

    async def remove_favourite(self, person_id: str, song_id: str) -> bool:
        async with self._engine.begin() as conn:
            gone = await conn.execute(delete(favourites).where(favourites.c.person_id == person_id,
                                                               favourites.c.song_id == song_id))
            return bool(gone.rowcount)

    async def favourites(self, person_id: str) -> list[SongRef]:
        async with self._reads.connect() as conn:
            rows = await conn.execute(select(favourites).where(favourites.c.person_id == person_id).order_by(
                favourites.c.added_at.desc(), favourites.c.fav_id.desc()))
            return [SongRef(r.song_id, r.title, r.artist, r.duration) for r in rows]

    async def shows_of_person(self, person: PersonRecord, limit: int) -> list[str]:
        payload = show_events.c.payload
        theirs = [payload["person_id"].as_string() == person.person_id]
        theirs += [and_(payload["platform"].as_string() == i.platform, payload["user_id"].as_string() == i.user_id)
                   for i in person.identities]
        query = (
            select(show_events.c.show_id, func.max(shows.c.created_at).label("opened"))
            .join(shows, shows.c.show_id == show_events.c.show_id)
            .where(show_events.c.type == "SingerJoined", or_(*theirs))
            .group_by(show_events.c.show_id)
            .order_by(func.max(shows.c.created_at).desc())
            .limit(limit)
        )
        async with self._reads.connect() as conn:
            return [str(row.show_id) for row in await conn.execute(query)]
