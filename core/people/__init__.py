"""People, not accounts: a person has a name, a muting and identities on the platforms.

- ``model``: ``PersonRecord``, ``Identity``, what linking answers (``LinkOutcome``, ``Linked``), ``PastSong``.
- ``ports``: ``PeopleStore`` (people, identities, link codes, favourites), ``SongHistory`` (songs sung on
  earlier nights) and ``ShowsOfPeople``.
- ``service``: ``People`` (``People.singer`` is the one place an identity becomes the rotation's singer;
  linking and unlinking, walk-ins) and ``LoggedSongHistory`` (earlier nights read from the shows' logs).
- ``linking``: the one-time link codes.
"""

from core.people.linking import (
    LINK_ADDRESS_ATTEMPTS,
    LINK_ALPHABET,
    LINK_ATTEMPT_WINDOW,
    LINK_ATTEMPTS,
    LINK_LENGTH,
    LINK_LIFETIME,
    hash_link_code,
    new_link_code,
    normalize_link_code,
)
from core.people.model import Identity, Linked, LinkOutcome, PastSong, PersonRecord
from core.people.ports import PeopleStore, ShowsOfPeople, SongHistory
from core.people.service import LinkedShow, LinkReport, LoggedSongHistory, People

__all__ = [
    "LINK_ADDRESS_ATTEMPTS",
    "LINK_ALPHABET",
    "LINK_ATTEMPTS",
    "LINK_ATTEMPT_WINDOW",
    "LINK_LENGTH",
    "LINK_LIFETIME",
    "Identity",
    "LinkOutcome",
    "LinkReport",
    "Linked",
    "LinkedShow",
    "LoggedSongHistory",
    "PastSong",
    "People",
    "PeopleStore",
    "PersonRecord",
    "ShowsOfPeople",
    "SongHistory",
    "hash_link_code",
    "new_link_code",
    "normalize_link_code",
]
