"""A person and their identities: who sings, whichever platform they write from.

A person has a name (the one they chose with ``/name``, or a walk-in's name given by the KJ), whether
their reminders are muted, and identities: a Telegram user, a Slack user, later a web session
(``(platform, user_id)``). A walk-in, added by a KJ for someone without a phone, is a person without
identities until they link one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from core.rotation import SongRef


@dataclass(frozen=True, slots=True, order=True)
class Identity:
    """One way a person reaches the service: ``(platform, user_id)``."""

    platform: str
    user_id: str


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as stored: ``name`` is None until they choose one (their platform's name is used then)."""

    person_id: str
    name: str | None
    muted: bool
    identities: tuple[Identity, ...]

    @property
    def walk_in(self) -> bool:
        """A person without any identity: someone a KJ added by name."""
        return not self.identities


class LinkOutcome(Enum):
    """What became of an attempt to link an identity with a code."""

    DONE = "done"  # the identity (and every identity of its person) joined the code's person
    SELF = "self"  # the identity is already the code's person: nothing to link
    UNKNOWN = "unknown"  # no such code (mistyped, forged or never made)
    USED = "used"  # the code linked someone already
    EXPIRED = "expired"  # too late
    LIMITED = "limited"  # the identity tried too many codes lately; this one was not even looked at


@dataclass(frozen=True, slots=True)
class Linked:
    """The outcome of a link, the person afterwards (for DONE and SELF) and the person the linking identity
    was before (for DONE: it is part of ``person`` now)."""

    outcome: LinkOutcome
    person: PersonRecord | None = None
    former: str | None = None


@dataclass(frozen=True, slots=True)
class PastSong:
    """A song the person sang on an earlier night: the song and when they last sang it."""

    song: SongRef
    sung_at: datetime
