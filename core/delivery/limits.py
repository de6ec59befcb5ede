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


class ChannelBudgets:
    """What each free channel has left: posts counted per channel key within its own sliding window.

    A free channel (a Slack command's response_url: 5 posts in 30 minutes) is not under the
    platform's rate limits, so it is kept apart from ``RateLimiter``: taking from a channel's budget
    never holds up, and is never held up by, the rooms' limits. Posts count when they are taken (a
    post that fails still used the channel); ``close`` spends what is left, when the platform says
    the channel is gone. Times are the caller's monotonic seconds. Kept in memory: after a restart,
    or when another instance takes over sending, the platform's own refusal of a used-up channel is
    the backstop (it is answered ``ChannelClosed`` and the reply goes the limited way).
    """

    def __init__(self, max_keys: int = 10_000) -> None:
        """Keep at most about ``max_keys`` channels; older ones are forgotten once their windows pass."""
        self._max_keys = max_keys
        # Per key: its window, and the (time, cost) of each take within it.
        self._taken: dict[str, tuple[Window, list[tuple[float, int]]]] = {}

    def take(self, key: str, window: Window, cost: int, now: float) -> bool:
        """Spend ``cost`` posts of ``key``'s budget at ``now`` if that many are left; whether it did."""
        _, taken = self._taken.setdefault(key, (window, []))
        taken[:] = [(at, spent) for at, spent in taken if at > now - window.seconds]
        if sum(spent for _, spent in taken) + cost > window.count:
            return False
        taken.append((now, cost))
        if len(self._taken) > self._max_keys:
            self._forget_spent(now)
        return True

    def close(self, key: str, window: Window, now: float) -> None:
        """The channel is gone (used up or expired): nothing is left of its budget for a window's length."""
        _, taken = self._taken.setdefault(key, (window, []))
        taken.append((now, window.count))

    def left(self, key: str, window: Window, now: float) -> int:
        """Posts ``key`` may still take at ``now``."""
        _, taken = self._taken.get(key, (window, []))
        return max(0, window.count - sum(spent for at, spent in taken if at > now - window.seconds))

    def __len__(self) -> int:
        """How many channels are kept."""
        return len(self._taken)

    def _forget_spent(self, now: float) -> None:
        for key, (window, taken) in list(self._taken.items()):
            if all(at <= now - window.seconds for at, _ in taken):
                del self._taken[key]
