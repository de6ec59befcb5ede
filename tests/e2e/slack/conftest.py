"""Fixtures: FakeSlack on loopback, a real slack_sdk client pointed at it, the real Bolt app served by uvicorn."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import build_slack_app, slack_router
from karaoke.bootstrap import SystemClock
from tests.e2e.slack.fakes import MemoryInbox
from tests.standins import FakeSlack, serve_asgi


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.token, base_url=slack.base_url, timeout=5)


@contextlib.asynccontextmanager
async def served(slack: FakeSlack, inbox: MemoryInbox) -> AsyncIterator[str]:
    """The Bolt app behind FastAPI on 127.0.0.1:<port>; yields the URL Slack delivers to."""
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url, timeout=5)
    web = FastAPI()
    app = build_slack_app(inbox, client, slack.signing_secret)
    web.include_router(slack_router(app, slack.signing_secret, SystemClock()))
    async with serve_asgi(web) as url:
        yield f"{url}/slack/events"
