"""Who may open a show, and how many shows may be open: the operator's rule, checked before any show opens.

- With neither an allowlist nor any KJ invite ever made, anyone may ``/open`` (a fresh install works at once).
- With an allowlist (``OpeningRules.allowlist``) or once the operator has made a KJ invite, only people on
  the allowlist and people who redeemed an invite (``/redeem CODE``) may.
- Whoever may open, a room has one open show (``/open`` asks what to do with the old one), the service at
  most ``max_open_shows`` open at once and a person at most ``max_open_per_person``.

Invite codes are random, shown once, and only their hash is stored (``hash_invite_code``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from core.chat.vocabulary import Person

# Crockford's base32 without I, L, O and U: nothing to misread when a code is read out or copied by hand.
INVITE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INVITE_LENGTH = 12  # 60 bits: out of reach of guessing
INVITE_PREFIX = "KJ-"


class Redeemed(Enum):
    """What became of an attempt to redeem a KJ invite."""

    DONE = "done"  # the person may open shows from now on
    ALREADY = "already"  # this person had redeemed this very code before (a repeated message)
    UNKNOWN = "unknown"  # no such code
    USED = "used"  # someone else redeemed it first
    EXPIRED = "expired"  # too late


class KjRegistry(Protocol):
    """The people who redeemed a KJ invite, the invites, and how many open shows a person runs."""

    async def add_invite(self, code_hash: str, created_at: datetime, expires_at: datetime) -> None:
        """Store a new invite under the hash of its code, redeemable until ``expires_at``."""
        ...

    async def invites_exist(self) -> bool:
        """Whether any invite was ever made (used, expired or not): then opening is by invitation."""
        ...

    async def redeem(self, code_hash: str, platform: str, user_id: str, now: datetime) -> Redeemed:
        """Use the invite once, atomically (two people racing, on any number of instances: one wins), and
        register ``(platform, user_id)`` as a KJ in the same step."""
        ...

    async def is_registered(self, platform: str, user_id: str) -> bool:
        """Whether ``(platform, user_id)`` redeemed an invite."""
        ...

    async def open_shows_run_by(self, platform: str, user_id: str) -> int:
        """How many open shows have ``(platform, user_id)`` among their KJs."""
        ...

    def opening_turn(self) -> AbstractAsyncContextManager[None]:
        """Hold off every other opening, on every instance, until exited: counting open shows and opening one
        happen as one step, so twenty ``/open`` handled at once cannot all see room under the limits."""
        ...


@dataclass(frozen=True, slots=True)
class OpeningRules:
    """The operator's settings: who is always allowed, and the limits on open shows."""

    allowlist: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    max_open_shows: int = 50
    max_open_per_person: int = 3


def parse_allowlist(text: str) -> frozenset[tuple[str, str]]:
    """``"telegram:555123, slack:U123"`` as ``{("telegram", "555123"), ("slack", "U123")}``.

    Entries are ``platform:user_id`` separated by commas or whitespace; the platform is lower-cased (as
    the bots name platforms), the user id kept as typed. Raises ``ValueError`` naming a malformed entry.
    """
    found: set[tuple[str, str]] = set()
    for entry in text.replace(",", " ").split():
        platform, colon, user_id = entry.partition(":")
        if not colon or not platform or not user_id:
            raise ValueError(f"{entry!r} is not platform:user_id (e.g. telegram:555123)")
        found.add((platform.lower(), user_id))
    return frozenset(found)


def normalize_invite_code(text: str) -> str:
    """An invite code as typed ("kj-7k3m 9qxa-2bcd") in its one canonical form ("7K3M9QXA2BCD")."""
    code = "".join(ch for ch in text.upper() if ch.isalnum())
    prefix = INVITE_PREFIX.strip("-")
    # The prefix is part of what people copy; a bare code may begin with K and J too, so only strip it from
    # a code that is long enough to carry it.
    return code.removeprefix(prefix) if len(code) == INVITE_LENGTH + len(prefix) else code


def hash_invite_code(text: str) -> str:
    """What the registry stores and looks up for a code: the SHA-256 of its canonical form, in hex.

    The codes carry 60 random bits, so a plain hash is enough: nobody can reverse or enumerate it.
    """
    return hashlib.sha256(normalize_invite_code(text).encode("ascii", "replace")).hexdigest()


def new_invite_code(pick: Callable[[str], str]) -> str:
    """A fresh code, ``KJ-XXXX-XXXX-XXXX``; ``pick`` chooses one character of a string (``secrets.choice``)."""
    chars = "".join(pick(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    return INVITE_PREFIX + "-".join(chars[i : i + 4] for i in range(0, INVITE_LENGTH, 4))


async def make_invite(registry: KjRegistry, now: datetime, lifetime: timedelta, pick: Callable[[str], str]) -> str:
    """A new one-time invite, redeemable for ``lifetime`` from ``now``: stored by hash, the code returned once."""
    if lifetime <= timedelta(0):
        raise ValueError("an invite must be valid for some time")
    code = new_invite_code(pick)
    await registry.add_invite(hash_invite_code(code), now, now + lifetime)
    return code


class OpeningGate:
    """Decides whether a person may open a show now; says which line to answer with when not."""

    def __init__(self, registry: KjRegistry, rules: OpeningRules) -> None:
        """Check against ``registry`` under ``rules``."""
        self._registry = registry
        self.rules = rules

    async def restricted(self) -> bool:
        """Whether only some people may open shows (an allowlist is set, or an invite was ever made)."""
        return bool(self.rules.allowlist) or await self._registry.invites_exist()

    async def may_open(self, person: Person) -> bool:
        """Whether ``person`` may open shows at all."""
        if person.key in self.rules.allowlist:
            return True
        if not await self.restricted():
            return True
        return await self._registry.is_registered(person.platform, person.user_id)

    async def over_limit(self, person: Person, open_shows: int) -> str | None:
        """The message key refusing one more show, given ``open_shows`` open now; None when it may open."""
        if open_shows >= self.rules.max_open_shows:
            return "open.limit.global"
        if await self._registry.open_shows_run_by(person.platform, person.user_id) >= self.rules.max_open_per_person:
            return "open.limit.person"
        return None

    def turn(self) -> AbstractAsyncContextManager[None]:
        """The one turn to count and open in (``KjRegistry.opening_turn``)."""
        return self._registry.opening_turn()

    async def redeem(self, person: Person, code: str, now: datetime) -> Redeemed:
        """``person`` redeems the invite ``code`` (as typed)."""
        if not normalize_invite_code(code):
            return Redeemed.UNKNOWN
        return await self._registry.redeem(hash_invite_code(code), person.platform, person.user_id, now)


class NoKjRegistry:
    """No invites and nobody registered: only the allowlist counts, and no person runs any show (a console
    bot, or tests that do not look at who opens)."""

    def __init__(self) -> None:
        """One process: its own lock is the turn."""
        self._turn = asyncio.Lock()

    def opening_turn(self) -> AbstractAsyncContextManager[None]:
        """This process's lock."""
        return self._turn

    async def add_invite(self, code_hash: str, created_at: datetime, expires_at: datetime) -> None:
        """Invites need a store."""
        raise RuntimeError("KJ invites need a registry that stores them")

    async def invites_exist(self) -> bool:
        """None were made."""
        return False

    async def redeem(self, code_hash: str, platform: str, user_id: str, now: datetime) -> Redeemed:
        """No code is known."""
        return Redeemed.UNKNOWN

    async def is_registered(self, platform: str, user_id: str) -> bool:
        """Nobody redeemed anything."""
        return False

    async def open_shows_run_by(self, platform: str, user_id: str) -> int:
        """Not counted."""
        return 0
