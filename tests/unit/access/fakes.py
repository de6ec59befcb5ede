"""Hand-written fakes of ``core.access``'s ports, held to the SQL stores' promises by ``tests/contracts``."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from core.clock import Clock


class FakeMonotonic:
    """Seconds that move only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.seconds = start

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


class InMemoryAdminSessions:
    """``AdminSessions`` in a dict of id → expiry."""

    def __init__(self, clock: Clock, lifetime: timedelta = timedelta(hours=12)) -> None:
        self._clock = clock
        self.lifetime = lifetime
        self._ids = (f"session-{n:04d}-{'x' * 32}" for n in itertools.count(1))
        self.expiries: dict[str, datetime] = {}

    async def start(self) -> str:
        session_id = next(self._ids)
        self.expiries[session_id] = self._clock.now() + self.lifetime
        return session_id

    async def is_open(self, session_id: str) -> bool:
        expires_at = self.expiries.get(session_id)
        return expires_at is not None and expires_at > self._clock.now()

    async def end(self, session_id: str) -> None:
        self.expiries.pop(session_id, None)


class InMemoryIdempotencyKeys:
    """``IdempotencyKeys`` in a dict of key → fingerprint."""

    def __init__(self) -> None:
        self.fingerprints: dict[str, tuple[str, str | None]] = {}

    async def claim(self, key: str, fingerprint: str, *, show_id: str | None = None) -> bool:
        stored, _ = self.fingerprints.setdefault(key, (fingerprint, show_id))
        return stored == fingerprint
