"""Who may act as the KJ's admin: a limit on guessing the token, the dashboard's sessions, idempotency keys;
and how often a web singer may write.

The rules live here, free of any framework: ``FailedAttempts`` holds off a client that guessed wrong
too often; ``WebLimits`` holds off a browser session or an address that writes too often (the same sliding
window, counting every write); ``AdminSessions`` and ``IdempotencyKeys`` are the ports the SQL stores
implement (in the database, so every instance of the service sees the same sessions and keys).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

from core.clock import Monotonic


class FailedAttempts:
    """Counts each client's failed attempts in a sliding window and holds off one that failed too often.

    A client with ``limit`` failures in the last ``window_seconds`` must wait until the oldest of them
    leaves the window; while it waits nothing of its attempts is checked, so nothing more is counted
    either, and no client gets more than ``limit`` guesses in any window. Success is never counted or
    slowed. At most ``max_clients`` clients are remembered (the least recently failed are forgotten
    first), so a flood of addresses cannot grow memory without end.
    """

    def __init__(
        self, monotonic: Monotonic, *, limit: int = 10, window_seconds: float = 60.0, max_clients: int = 10_000
    ) -> None:
        if limit < 1 or window_seconds <= 0 or max_clients < 1:
            raise ValueError("limit, window_seconds and max_clients must be positive")
        self._monotonic = monotonic
        self.limit = limit
        self.window_seconds = window_seconds
        self._max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}

    def wait(self, client: str) -> float:
        """Seconds ``client`` must wait before its next attempt is looked at; 0.0 when it may try now."""
        now = self._monotonic()
        failures = self._recent(client, now)
        if failures is None or len(failures) < self.limit:
            return 0.0
        return failures[0] + self.window_seconds - now

    def failed(self, client: str) -> None:
        """Count one failed attempt of ``client``, now."""
        now = self._monotonic()
        failures = self._recent(client, now)
        if failures is None:
            failures = deque(maxlen=self.limit)
        else:
            del self._failures[client]  # put back last: the dict's order is the order of last failure
        failures.append(now)
        self._failures[client] = failures
        while len(self._failures) > self._max_clients:
            del self._failures[next(iter(self._failures))]

    def counted(self, client: str) -> None:
        """Count one attempt of ``client`` whatever its outcome (a rate limit counts every write)."""
        self.failed(client)

    def clients(self) -> int:
        """How many clients are remembered (for tests and metrics)."""
        return len(self._failures)

    def _recent(self, client: str, now: float) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        return failures


@dataclass(frozen=True)
class WebLimits:
    """How often web singers may write (join, request, cancel, On my way): ``per_session`` counts one
    browser, ``per_address`` every browser behind one address (a venue's Wi-Fi shares one, so it is wider).
    Counted per process, like wrong admin tokens."""

    per_session: FailedAttempts
    per_address: FailedAttempts

    def wait(self, session: str | None, address: str) -> float:
        """Seconds before this write may be taken; 0.0 when it may go now (it is then counted)."""
        wait = max(self.per_address.wait(address), self.per_session.wait(session) if session else 0.0)
        if wait > 0:
            return wait
        self.per_address.counted(address)
        if session:
            self.per_session.counted(session)
        return 0.0


class AdminSessions(Protocol):
    """The KJ dashboard's sessions: a random id in the browser's cookie, the session itself kept server-side."""

    async def start(self) -> str:
        """Open a session and return its id: random, unguessable, valid until the session's lifetime ends."""
        ...

    async def is_open(self, session_id: str) -> bool:
        """Whether ``session_id`` names a session that was started, has not ended and has not expired."""
        ...

    async def end(self, session_id: str) -> None:
        """End the session: its id opens nothing afterwards. Ending an unknown or ended session is fine."""
        ...


class IdempotencyKeys(Protocol):
    """Remembers which request each idempotency key was first used with."""

    async def claim(self, key: str, fingerprint: str, *, show_id: str | None = None) -> bool:
        """True when ``key`` is new (it is now bound to ``fingerprint``) or was bound to the same
        ``fingerprint`` before; False when it was first used with another request. Holds across instances:
        of two racing first uses with different fingerprints, exactly one wins."""
        ...


@dataclass(frozen=True)
class AdminAccess:
    """What the admin check needs besides the token, wired by the composition root."""

    sessions: AdminSessions
    guard: FailedAttempts
    # Behind a proxy (Fly), the client's address is the one the proxy puts in its headers; anywhere
    # else those headers are whatever the client wrote, so they are read only when trusted.
    trust_proxy_headers: bool = False
    # The public address is https: the session cookie is sent over https only.
    secure_cookies: bool = False
    session_seconds: int = 12 * 3600
