"""Platform rate limits, so bursts are spread out instead of refused by the platform.

The limiter is our own on purpose: a platform's limits are per bot, across every instance, and
count sends still on the way; the libraries' retry-after handling only reacts once a limit is broken.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from core.chat import Reply


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``count`` messages in any ``seconds``-long window."""

    count: int
    seconds: float


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """The limits one platform enforces: per chat, per group chat, and overall.

    ``press_answers`` is the overall rate for answers to button presses (Telegram's callback answers):
    they are no messages, so no chat's or group's limit counts them, but they are not sent unbounded either.
    """

    per_chat: Window
    per_group: Window | None
    overall: Window
    press_answers: Window | None = None


TELEGRAM = PlatformLimits(per_chat=Window(1, 1.0), per_group=Window(20, 60.0), overall=Window(30, 1.0),
                          press_answers=Window(30, 1.0))
SLACK = PlatformLimits(per_chat=Window(1, 1.0), per_group=None, overall=Window(50, 60.0))
DEFAULT_LIMITS = {"telegram": TELEGRAM, "slack": SLACK}
# How soon to look again when only sends still in flight fill a window.
POLL = 0.02
# Platforms where the bot may message someone who never opened a private chat with it (a Slack DM).
# A Telegram bot may write privately only to people who started it.
DIRECT_MESSAGES = frozenset({"slack", "console"})
# Platforms that can show an answer to one person inside a group room (Slack's ephemeral messages).
# Elsewhere an answer only its asker needs is still a message the whole room's limits pay for.
EPHEMERAL_IN_ROOM = frozenset({"slack"})
# Platforms that want every button press answered on its own channel (Telegram's answerCallbackQuery,
# else the button spins), and how many characters that answer may say (shown to the presser alone).
PRESS_ANSWER_MAX = {"telegram": 200}
# The rate-limit "chat" of a press's answer: no conversation's limits count it.
PRESS_BUCKET = "press:"


def bucket_of(reply: Reply, press: str | None = None) -> tuple[str, bool]:
    """The chat a reply counts against for rate limits (``room:<id>`` or ``private:<id>``), and whether
    it is a group chat (groups have their own, tighter limit).

    A reply that goes out as the answer to a button press (``press``: the platform's id of that press)
    is no message in any chat: it counts as ``press:<id>``, against the platform's ``press_answers`` rate only.
    """
    if press is not None:
        return f"{PRESS_BUCKET}{press}", False
    if reply.room is not None and not reply.room.private:
        return f"room:{reply.room.room_id}", True
    if reply.room is not None:
        return f"private:{reply.room.room_id}", False
    person = reply.to_person
    return f"private:{person.user_id if person else '?'}", False


class RateLimiter:
    """Sliding-window bookkeeping of sends; says how long to wait before the next one may go.

    A send is *in flight* from ``begin`` until ``finish``: it may reach the platform at any moment
    in between, so while in flight it counts as happening now, and once finished it counts at the
    moment the platform answered (it cannot have arrived later). ``record`` adds a finished send
    from elsewhere (the history other instances left in the outbox). Times are plain seconds from
    the caller's monotonic clock, so tests can drive it.
    """

    def __init__(self, limits: dict[str, PlatformLimits] | None = None, margin: float = 0.05) -> None:
        """Use ``limits`` per platform (the platforms' published limits by default).

        ``margin`` seconds are added to every wait: a message reaches the platform a little later or
        earlier than it left, and a limit kept exactly on our side can be broken by a millisecond on theirs.
        """
        self._limits = limits if limits is not None else dict(DEFAULT_LIMITS)
        self._margin = margin
        # Sorted times of finished sends per key, and how many sends per key are in flight.
        self._sent: dict[tuple[str, str], list[float]] = {}
        self._flying: dict[tuple[str, str], int] = {}

    def wait(self, platform: str, chat: str, group: bool, now: float) -> float:
        """Seconds until a message to ``chat`` may be sent without breaking a limit (0 = now).

        A positive answer is a time to look again, not a promise: other sends may take the slot first.
        """
        limits = self._limits.get(platform)
        if limits is None:
            return 0.0
        return max((self._wait(key, window, now) for key, window in self._windows(limits, platform, chat, group)),
                   default=0.0)

    def begin(self, platform: str, chat: str, group: bool) -> None:
        """A send to ``chat`` leaves now (call right after ``wait`` answered 0, without awaiting between)."""
        limits = self._limits.get(platform)
        if limits is None:
            return
        for key, _ in self._windows(limits, platform, chat, group):
            self._flying[key] = self._flying.get(key, 0) + 1

    def finish(self, platform: str, chat: str, group: bool, now: float) -> None:
        """The send ``begin`` announced was answered at ``now``."""
        limits = self._limits.get(platform)
        if limits is None:
            return
        for key, _ in self._windows(limits, platform, chat, group):
            self._flying[key] = max(0, self._flying.get(key, 0) - 1)
            bisect.insort(self._sent.setdefault(key, []), now)

    def record(self, platform: str, chat: str, group: bool, now: float) -> None:
        """Count a message sent to ``chat`` at ``now``."""
        limits = self._limits.get(platform)
        if limits is None:
            return
        for key, _ in self._windows(limits, platform, chat, group):
            bisect.insort(self._sent.setdefault(key, []), now)

    @staticmethod
    def _windows(
        limits: PlatformLimits, platform: str, chat: str, group: bool
    ) -> list[tuple[tuple[str, str], Window]]:
        if chat.startswith(PRESS_BUCKET):
            return [(("presses", platform), limits.press_answers)] if limits.press_answers is not None else []
        windows = [(("chat", platform + chat), limits.per_chat), (("all", platform), limits.overall)]
        if group and limits.per_group is not None:
            windows.append((("group", platform + chat), limits.per_group))
        return windows

    def _wait(self, key: tuple[str, str], window: Window, now: float) -> float:
        sent = self._sent.get(key, [])
        del sent[: bisect.bisect_right(sent, now - window.seconds)]
        flying = self._flying.get(key, 0)
        if len(sent) + flying < window.count:
            return 0.0
        # Sends in flight count as now; the next slot opens when enough finished ones leave the window.
        leaving = len(sent) + flying - window.count + 1
        if leaving > len(sent):
            return POLL  # only sends still in flight fill the window: look again shortly
        return max(POLL, sent[leaving - 1] + window.seconds + self._margin - now)
