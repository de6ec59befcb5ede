"""Who wrote a direct message: Events API messages carry only a user id, so the handle is looked up (and cached)."""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)


class SlackUserNames:
    """``users.info`` (scope users:read) behind a small cache; a failed lookup is ``None``, never an error."""

    def __init__(self, client: AsyncWebClient, *, timeout: float = 1.5, ttl: float = 3600.0,
                 max_entries: int = 10_000) -> None:
        """``timeout`` keeps the lookup well inside the 3 s Slack waits for an acknowledgement."""
        self._client = client
        self._timeout = timeout
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: dict[str, tuple[float, str]] = {}

    async def handle(self, user_id: str) -> str | None:
        """The user's Slack handle (what slash commands send as ``user_name``), or None when unknown."""
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
        name = user.get("name") if isinstance(user, dict) else None
        if not isinstance(name, str) or not name:
            return None
        if len(self._cache) >= self._max_entries:
            self._cache.pop(next(iter(self._cache)))
        self._cache[user_id] = (time.monotonic(), name)
        return name
