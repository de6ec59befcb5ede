"""``SqlAdminSessions``: the KJ dashboard's sessions in the database, so every instance knows them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import Clock
from storage.tables import admin_sessions

# A cookie value longer than any id we hand out is not worth hashing.
_LONGEST_ID = 200


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


class SqlAdminSessions:
    """Implements ``core.access.AdminSessions`` on the ``admin_sessions`` table (SQLite and PostgreSQL).

    The id is made by ``new_id`` (``secrets.token_urlsafe`` in production); only its SHA-256 is
    stored. A session lasts ``lifetime`` from its start by ``clock``; expired rows are removed
    whenever a session starts, so the table holds about one night's sessions.
    """

    def __init__(self, engine: AsyncEngine, clock: Clock, new_id: Callable[[], str], lifetime: timedelta) -> None:
        self._engine = engine
        self._clock = clock
        self._new_id = new_id
        self.lifetime = lifetime
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def start(self) -> str:
        session_id = self._new_id()
        now = self._clock.now()
        async with self._engine.begin() as conn:
            await conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at <= now))
            await conn.execute(insert(admin_sessions).values(
                session_hash=_hash(session_id), created_at=now, expires_at=now + self.lifetime))
        return session_id

    async def is_open(self, session_id: str) -> bool:
        if not session_id or len(session_id) > _LONGEST_ID:
            return False
        query = select(admin_sessions.c.expires_at).where(admin_sessions.c.session_hash == _hash(session_id))
        async with self._reads.connect() as conn:
            expires_at = (await conn.execute(query)).scalar_one_or_none()
        return expires_at is not None and expires_at > self._clock.now()

    async def end(self, session_id: str) -> None:
        if not session_id or len(session_id) > _LONGEST_ID:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(admin_sessions).where(admin_sessions.c.session_hash == _hash(session_id)))
