"""``DirectoryPrivateChats``: the private chats people opened with the bot, as the chat directory knows them."""

from __future__ import annotations

from core.chat import ChatDirectory, Room


class DirectoryPrivateChats:
    """Implements ``PrivateChats`` over the ``ChatDirectory``, which records a person's private chat the
    first time they write to the bot there (a Telegram bot may write privately only to people who did)."""

    def __init__(self, directory: ChatDirectory) -> None:
        """Read private chats from ``directory``."""
        self._directory = directory

    async def private_room(self, platform: str, user_id: str) -> Room | None:
        """The private chat ``(platform, user_id)`` opened with the bot, or None."""
        reach = await self._directory.reach(platform, user_id)
        return reach.private_room if reach is not None else None
