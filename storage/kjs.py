"""``SqlKjRegistry``: KJ invites (by hash) and the people who redeemed them, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import exists, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from core.chat import Redeemed
from storage.tables import chat_kjs, kj_invites, kj_people, shows


class SqlKjRegistry:
    """Implements ``core.chat.KjRegistry``.

    Redeeming is one conditional ``UPDATE`` (unused and unexpired) plus the registration, in one
    transaction: of two people racing for a code, on any number of instances, exactly one gets it.

    The opening turn is a PostgreSQL session advisory lock, taken by one waiter of this process at a time
    on a connection of its own and released on exit (or when that connection dies). SQLite serves one
    process, whose own lock is the turn.
    """

    OPENING_LOCK = zlib.crc32(b"karaoke:opening")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._local_turn = asyncio.Lock()

    @asynccontextmanager
    async def opening_turn(self) -> AsyncIterator[None]:
        async with self._local_turn:
            if self._engine.dialect.name != "postgresql":
                yield
                return
            async with self._reads.connect() as conn:
                await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.OPENING_LOCK})
                try:
                    yield
                finally:
                    await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.OPENING_LOCK})

    async def add_invite(self, code_hash: str, created_at: datetime, expires_at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(kj_invites).values(code_hash=code_hash, created_at=created_at,
                                                         expires_at=expires_at))

    async def invites_exist(self) -> bool:
        async with self._reads.connect() as conn:
            return bool((await conn.execute(select(exists().select_from(kj_invites)))).scalar())

    async def redeem(self, code_hash: str, platform: str, user_id: str, now: datetime) -> Redeemed:
        invite = kj_invites.c
        async with self._engine.begin() as conn:
            taken = await conn.execute(
                update(kj_invites)
                .where(invite.code_hash == code_hash, invite.redeemed_at.is_(None), invite.expires_at > now)
                .values(redeemed_at=now, platform=platform, user_id=user_id)
            )
            if taken.rowcount == 1:
                await conn.execute(
                    self._dialect.insert(kj_people).values(platform=platform, user_id=user_id, since=now)
                    .on_conflict_do_nothing(index_elements=["platform", "user_id"])
                )
                return Redeemed.DONE
            row = (await conn.execute(
                select(invite.redeemed_at, invite.platform, invite.user_id).where(invite.code_hash == code_hash)
            )).first()
        if row is None:
            return Redeemed.UNKNOWN
        if row.redeemed_at is None:
            return Redeemed.EXPIRED
        return Redeemed.ALREADY if (row.platform, row.user_id) == (platform, user_id) else Redeemed.USED

    async def is_registered(self, platform: str, user_id: str) -> bool:
        query = select(exists().where(kj_people.c.platform == platform, kj_people.c.user_id == user_id))
        async with self._reads.connect() as conn:
            return bool((await conn.execute(query)).scalar())

    async def open_shows_run_by(self, platform: str, user_id: str) -> int:
        # The two id columns differ in type (a UUID and text), so the sets meet here rather than in a join;
        # open shows are few (the service caps them) and a person's KJ rows are one per show they ran.
        async with self._engine.connect() as conn:
            open_now = {str(s) for s in (await conn.execute(select(shows.c.show_id).where(shows.c.status == "open")))
                        .scalars()}
            if not open_now:
                return 0
            theirs = (await conn.execute(select(chat_kjs.c.show_id).where(
                chat_kjs.c.platform == platform, chat_kjs.c.user_id == user_id))).scalars()
            return sum(1 for show_id in theirs if show_id in open_now)
