"""What the conversation needs besides the rotation, search and the chat directory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.catalog import Song


class SongLookup(Protocol):
    """Fetches catalog songs by id (the catalog's store fits: ``SqlSongStore.get_many``)."""

    async def get_many(self, song_ids: Sequence[str]) -> list[Song]:
        """The songs among ``song_ids`` that exist."""
        ...


class Confirmations(Protocol):
    """Where a singer's "On my way" is recorded (the reminders' notice store fits)."""

    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        """Record that the singer of ``request_id`` is coming; True if a no-show check was pending."""
        ...


class NoConfirmations:
    """Nobody records "On my way" (a bot without reminders)."""

    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        """Nothing was pending."""
        return False


class Forgetter(Protocol):
    """Erases a person everywhere (``core.privacy.PeopleEraser`` fits)."""

    async def waiting_songs(self, platform: str, user_id: str) -> int:
        """How many of their songs wait in open shows (forgetting them takes those out)."""
        ...

    async def forget(self, platform: str, user_id: str) -> object | None:
        """Forget ``(platform, user_id)``; None when there was nothing known about them."""
        ...
