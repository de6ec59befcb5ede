"""``SqlWebJoins``: where each web session joined its show from (``core.chat.web.WebJoins``), on SQLite and
PostgreSQL. Only a keyed hash of the address is stored; the slots new sessions take from an address a blocked
singer joined from are one row each, so the unique constraint lets one session have a slot, on any instance."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables import web_joins

_IDS_PER_STATEMENT = 500


class SqlWebJoins:
    """Implements ``core.chat.web.WebJoins`` on the ``web_joins`` table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def record(self, session_id: str, show_id: str, address_key: str, at: datetime, slot: int | None) -> bool:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(web_joins).values(session_id=session_id, show_id=show_id,
                                                            address_key=address_key, joined_at=at, slot=slot))
        except IntegrityError:
            # The slot is another session's (a session id is random and new, so it is never the key that clashed).
            return False
        return True

    async def joined_from(self, show_id: str, address_key: str, session_ids: Collection[str]) -> bool:
        ids = sorted(session_ids)
        async with self._reads.connect() as conn:
            for start in range(0, len(ids), _IDS_PER_STATEMENT):
                found = await conn.execute(select(web_joins.c.session_id).where(
                    web_joins.c.show_id == show_id, web_joins.c.address_key == address_key,
                    web_joins.c.session_id.in_(ids[start:start + _IDS_PER_STATEMENT])).limit(1))
                if found.first() is not None:
                    return True
        return False
