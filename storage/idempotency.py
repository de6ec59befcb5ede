"""``SqlIdempotencyKeys``: each Idempotency-Key bound to the request it was first used with, in the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import Clock
from storage.tables import idempotency_keys


class SqlIdempotencyKeys:
    """Implements ``core.access.IdempotencyKeys`` on the ``idempotency_keys`` table (SQLite and PostgreSQL).

    The first use inserts the key; a later one, in this instance or another, finds the row and compares
    fingerprints. Two first uses racing are settled by the primary key: one insert wins, the other reads
    the winner's fingerprint. Rows carry their show, so they can go with the show's other data.
    """

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite

    async def claim(self, key: str, fingerprint: str, *, show_id: str | None = None) -> bool:
        inserted = (
            self._dialect.insert(idempotency_keys)
            .values(key=key, fingerprint=fingerprint, show_id=show_id, created_at=self._clock.now())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self._engine.begin() as conn:
            await conn.execute(inserted)
            stored = (await conn.execute(
                select(idempotency_keys.c.fingerprint).where(idempotency_keys.c.key == key)
            )).scalar_one()
        return bool(stored == fingerprint)
