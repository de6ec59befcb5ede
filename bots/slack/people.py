"""Who a Slack user is: slash commands carry only the handle and messages only the user id, so the name
people see (the profile's display name, else the real name) is looked up, and cached."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import NamedTuple

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core.chat import clean_name

logger = logging.getLogger(__name__)


class SlackUser(NamedTuple):
    """A Slack user as the bot shows them: ``name`` is what people see, ``handle`` the @-name."""

    name: str
    handle: str


class SlackUserNames:
    """``users.info`` (scope users:read) behind a small cache; a failed lookup is ``None``, never an error."""

    def __init__(self, client: AsyncWebClient, *, timeout: float = 1.5, ttl: float = 3600.0,
                 max_entries: int = 10_000) -> None:
        """``timeout`` keeps the lookup well inside the 3 s Slack waits for an acknowledgement."""
        self._client = client
        self._timeout = timeout
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: dict[str, tuple[float, SlackUser]] = {}

    async def user(self, user_id: str) -> SlackUser | None:
        """The user's shown name and handle, or None when Slack does not say (no scope, unknown, slow)."""
        cached = self._cache.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.users_info(user=user_id)
        except (SlackApiError, OSError, TimeoutError) as error:
            logger.info("could not look up Slack user %s: %s", user_id, error)
            return None
        user = response.get("user") or {}
        if not isinstance(user, dict):
            return None
        handle = clean_name(user.get("name")) if isinstance(user.get("name"), str) else ""
        if not handle:
            return None
        profile = user.get("profile")
        if not isinstance(profile, dict):
            profile = {}
        # Cleaned where they enter: control characters (a NUL) would break every row that holds the name.
        shown = next((clean_name(n) for n in (profile.get("display_name"), profile.get("real_name"),
                                              user.get("real_name")) if isinstance(n, str) and clean_name(n)), handle)
        found = SlackUser(shown, handle)
        if len(self._cache) >= self._max_entries:
            self._cache.pop(next(iter(self._cache)))
        self._cache[user_id] = (time.monotonic(), found)
        return found

    async def handle(self, user_id: str) -> str | None:
        """The user's Slack handle (what slash commands send as ``user_name``), or None when unknown."""
        found = await self.user(user_id)
        return found.handle if found else None
