"""Small value objects shared by commands, events and views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.rotation.settings import ShowSettings


@dataclass(frozen=True, slots=True)
class SongRef:
    """A catalog song as the rotation needs it; ``duration`` is in seconds, or None when unknown.

    A duration of 0 means unknown too, as it does in the catalog: it is kept as None, so every way in
    (chat, API, a replayed event) requests the song alike and estimates use the show's default length.
    """

    song_id: str
    title: str
    artist: str
    duration: int | None = None

    def __post_init__(self) -> None:
        if self.duration == 0:
            object.__setattr__(self, "duration", None)


# The namespace of person keys in a show's ``singer_keys``: ``(PERSON, person_id)``. No chat platform is
# called this, so a person key never equals an identity key.
PERSON = "person"


@dataclass(frozen=True, slots=True)
class SingerRef:
    """Who is asking: a chat user ``(platform, user_id)`` or a walk-in known only by ``name``, and the
    person they are (``person_id``), when the caller knows one.

    Walk-ins (added by the KJ) have ``platform`` and ``user_id`` set to None. A person may have several
    identities (a Telegram and a Slack user, say); the rotation finds their singer by the person first,
    so whichever identity asks, it is the same singer. Refs without a person (the admin API, streams
    written before people existed) are found by identity alone, as always.
    """

    platform: str | None
    user_id: str | None
    name: str
    person_id: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        """Identity of the singer within a show: ``(platform, user_id)``, or ``(None, folded name)``."""
        if self.platform is None:
            return (None, self.name.strip().casefold())
        return (self.platform, self.user_id or "")

    @property
    def person_key(self) -> tuple[str, str] | None:
        """``(PERSON, person_id)``, or None for a ref without a person."""
        return (PERSON, self.person_id) if self.person_id is not None else None


@dataclass(frozen=True, slots=True)
class ShowSummary:
    """A show as listed, read without folding its stream: a store keeps these beside the events."""

    show_id: str
    name: str
    code: str
    opened_at: datetime
    closed: bool
    version: int
    settings: ShowSettings


@dataclass(frozen=True, slots=True)
class ShowPage:
    """One page of shows, most recently opened first, and how many there are in all."""

    items: Sequence[ShowSummary]
    total: int
