"""Platform rate limits, so bursts are spread out instead of refused by the platform."""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``count`` messages in any ``seconds``-long window."""

    count: int
    seconds: float


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """The limits one platform enforces: per chat, per group chat, and overall."""

    per_chat: Window
    per_group: Window | None
    overall: Window


TELEGRAM = PlatformLimits(per_chat=Window(1, 1.0), per_group=Window(20, 60.0), overall=Window(30, 1.0))
SLACK = PlatformLimits(per_chat=Window(1, 1.0), per_group=None, overall=Window(50, 60.0))
DEFAULT_LIMITS = {"telegram": TELEGRAM, "slack": SLACK}


class RateLimiter:
    """Sliding-window bookkeeping of sends; says how long to wait before the next one may go.

    Times are plain seconds from the caller's monotonic clock, so tests can drive it.
    """

    def __init__(self, limits: dict[str, PlatformLimits] | None = None, margin: float = 0.05) -> None:
        """Use ``limits`` per platform (the platforms' published limits by default).

        ``margin`` seconds are added to every wait: a message reaches the platform a little later or
        earlier than it left, and a limit kept exactly on our side can be broken by a millisecond on theirs.
        """
        self._limits = limits if limits is not None else dict(DEFAULT_LIMITS)
        self._margin = margin
        # Sorted send times per key; reservations may land in the future and out of order.
        self._sent: dict[tuple[str, str], list[float]] = {}

    def wait(self, platform: str, chat: str, group: bool, now: float) -> float:
        """Seconds until a message to ``chat`` may be sent without breaking a limit (0 = now)."""
        limits = self._limits.get(platform)
        if limits is None:
            return 0.0
        waits = [
            self._wait(("chat", platform + chat), limits.per_chat, now),
            self._wait(("all", platform), limits.overall, now),
        ]
        if group and limits.per_group is not None:
            waits.append(self._wait(("group", platform + chat), limits.per_group, now))
        return max(waits)

    def record(self, platform: str, chat: str, group: bool, now: float) -> None:
        """Count a message sent to ``chat`` at ``now``."""
        if platform not in self._limits:
            return
        keys = [("chat", platform + chat), ("all", platform)]
        if group:
            keys.append(("group", platform + chat))
        for key in keys:
            bisect.insort(self._sent.setdefault(key, []), now)

    def settle(self, platform: str, chat: str, group: bool, reserved: float, finished: float) -> None:
        """Move a send recorded at ``reserved`` to ``finished``, when the platform answered it.

        A request reaches the platform somewhere between the moment it left and its answer; counting
        it at the answer keeps the next send to that chat a full window after its arrival, however
        long the request took on the way.
        """
        if platform not in self._limits or finished <= reserved:
            return
        keys = [("chat", platform + chat), ("all", platform)]
        if group:
            keys.append(("group", platform + chat))
        for key in keys:
            sent = self._sent.setdefault(key, [])
            index = bisect.bisect_left(sent, reserved)
            if index < len(sent) and sent[index] == reserved:
                del sent[index]
            bisect.insort(sent, finished)

    def _wait(self, key: tuple[str, str], window: Window, now: float) -> float:
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        del sent[: bisect.bisect_right(sent, now - window.seconds)]
        if len(sent) < window.count:
            return 0.0
        # The next slot opens a window after the count-th newest send; sends already reserved in
        # the future push it further.
        return max(0.0, sent[-window.count] + window.seconds + self._margin - now)
