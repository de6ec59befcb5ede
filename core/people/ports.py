"""What the people service needs stored, and where earlier nights' songs come from, as small async ports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from core.people.model import Linked, PastSong, PersonRecord
from core.rotation import SongRef


class PeopleStore(Protocol):
    """People, their identities, link codes and favourite songs.

    SQL backing (see ``storage/people.py``)::

        people(person_id, name NULL, muted, created_at)                  PRIMARY KEY (person_id)
        person_identities(platform, user_id, person_id, since)          PRIMARY KEY (platform, user_id)
        link_codes(code_hash, person_id, created_at, expires_at, used_at NULL)   PRIMARY KEY (code_hash)
        link_attempts(platform, user_id, attempted_at)
        favourites(person_id, song_id, title, artist, duration NULL, added_at)  PRIMARY KEY (person_id, song_id)
    """

    async def person_of(self, platform: str, user_id: str, new_person_id: str) -> PersonRecord:
        """The person the identity belongs to; an identity never seen is a new person ``new_person_id``."""
        ...

    async def find(self, platform: str, user_id: str) -> PersonRecord | None:
        """The person the identity belongs to, or None if there is none yet."""
        ...

    async def get(self, person_id: str) -> PersonRecord | None:
        """The person, or None (never was, or linked into another person since)."""
        ...

    async def add_walk_in(self, person_id: str, name: str) -> PersonRecord:
        """A person without identities named ``name``; adding ``person_id`` again returns it unchanged."""
        ...

    async def set_name(self, person_id: str, name: str) -> None:
        """The name the person wants to be shown by."""
        ...

    async def set_muted(self, person_id: str, muted: bool) -> None:
        """Turn the person's reminders off (True) or on."""
        ...

    async def add_link_code(self, code_hash: str, person_id: str, created_at: datetime, expires_at: datetime) -> None:
        """Store a link code for ``person_id`` under its hash."""
        ...

    async def link(self, code_hash: str, platform: str, user_id: str, new_person_id: str, now: datetime) -> Linked:
        """Use the code once, atomically (two identities racing for it, on any number of instances: one
        wins), and in the same step move the identity's person (all its identities and favourites) into the
        code's person. An identity never seen is a new person ``new_person_id`` first. A code of the
        identity's own person is SELF and stays unused."""
        ...

    async def unlink(self, platform: str, user_id: str, new_person_id: str) -> PersonRecord | None:
        """Move the identity out of its person into a new person ``new_person_id`` (same muting, no name);
        None, changing nothing, when it is its person's only identity (or unknown)."""
        ...

    async def count_link_attempt(self, platform: str, user_id: str, now: datetime, window: timedelta) -> int:
        """Record an attempt of the identity to use a code; how many it made within ``window`` up to ``now``,
        this one included (older attempts may be forgotten)."""
        ...

    async def add_favourite(self, person_id: str, song: SongRef, now: datetime) -> bool:
        """Mark ``song`` as one of the person's favourites; False when it already was."""
        ...

    async def remove_favourite(self, person_id: str, song_id: str) -> bool:
        """Unmark a favourite; False when it was not one."""
        ...

    async def favourites(self, person_id: str) -> list[SongRef]:
        """The person's favourites, the most recently marked first."""
        ...


class SongHistory(Protocol):
    """The songs a person sang on earlier nights (read from the shows' logs today; a performances
    projection can take its place)."""

    async def sung_by(self, person: PersonRecord, except_show: str | None, limit: int) -> Sequence[PastSong]:
        """Distinct songs ``person`` sang in shows other than ``except_show``, the most recently sung first."""
        ...


class ShowsOfPeople(Protocol):
    """Which shows a person sang in: the lookup behind ``LoggedSongHistory``."""

    async def shows_of_person(self, person: PersonRecord, limit: int) -> list[str]:
        """Ids of the shows (newest first, at most ``limit``) in which the person, or one of their
        identities, joined as a singer."""
        ...
