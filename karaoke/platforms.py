"""Wiring the chat platforms whose tokens are set: their intake, their senders, their background work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter

from core.delivery import Sender
from karaoke.bootstrap import Container

logger = logging.getLogger(__name__)


class PlatformSetupError(RuntimeError):
    """A platform is half configured (a token without its secret, a webhook without a public URL)."""


@dataclass
class Platforms:
    """What the configured platforms add to the process."""

    routers: list[APIRouter] = field(default_factory=list)
    senders: dict[str, Sender] = field(default_factory=dict)
    tasks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    telegram_username: str | None = None


@asynccontextmanager
async def platforms(container: Container) -> AsyncIterator[Platforms]:
    """Build every adapter whose token is set; closes their clients on exit."""
    settings = container.settings
    wired = Platforms()
    async with AsyncExitStack() as stack:
        if settings.telegram_token is not None:
            await _telegram(container, wired, stack)
        if settings.slack_bot_token is not None:
            _slack(container, wired)
        yield wired


async def _telegram(container: Container, wired: Platforms, stack: AsyncExitStack) -> None:
    from bots.telegram import (
        ALLOWED_UPDATES,
        WEBHOOK_PATH,
        TelegramPoller,
        TelegramSender,
        telegram_bot,
        webhook_router,
    )

    settings = container.settings
    assert settings.telegram_token is not None
    bot = telegram_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_url)
    await stack.enter_async_context(bot)
    wired.telegram_username = bot.username
    wired.senders["telegram"] = TelegramSender(bot)
    if settings.telegram_mode == "webhook":
        if settings.telegram_webhook_secret is None or not settings.public_url:
            raise PlatformSetupError(
                "Telegram webhook mode needs KARAOKE_TELEGRAM_WEBHOOK_SECRET and KARAOKE_PUBLIC_URL"
            )
        secret = settings.telegram_webhook_secret.get_secret_value()
        wired.routers.append(webhook_router(container.inbox, secret, bot.username, bot=bot, outages=container.outages))
        # Pending updates are kept: Telegram delivers them to the webhook once it is set.
        await bot.set_webhook(
            url=settings.public_url.rstrip("/") + WEBHOOK_PATH, secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=False,
        )
        logger.info("Telegram: webhook mode as @%s", bot.username)
    else:
        poller = TelegramPoller(bot, container.inbox, bot_username=bot.username, outages=container.outages)
        wired.tasks.append(poller.run)
        logger.info("Telegram: polling as @%s", bot.username)


def _slack(container: Container, wired: Platforms) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bots.slack import SlackSender, build_slack_app, slack_router

    settings = container.settings
    assert settings.slack_bot_token is not None
    if settings.slack_signing_secret is None:
        raise PlatformSetupError("Slack needs KARAOKE_SLACK_SIGNING_SECRET to check that requests come from Slack")
    client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    signing_secret = settings.slack_signing_secret.get_secret_value()
    app = build_slack_app(container.inbox, client, signing_secret)
    wired.routers.append(slack_router(app, signing_secret, container.clock))
    wired.senders["slack"] = SlackSender(client)
    logger.info("Slack: HTTP mode at /slack/events")
