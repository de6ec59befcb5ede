"""Hostile requests to the Telegram webhook: the secret first, then a bounded look at the body, never a 500.

The real router on uvicorn (loopback). A wrong secret is 403 whatever the body; with the right secret,
anything that is not a Telegram update, including JSON nested 100,000 levels deep (json.loads would raise
RecursionError), is 400 in the error envelope and stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping

import httpx
import pytest
from fastapi import FastAPI

from bots.telegram import WEBHOOK_PATH, webhook_router
from tests.e2e.telegram.conftest import BOT_USERNAME
from tests.e2e.telegram.fakes import MemoryInbox
from tests.standins import serve_asgi

SECRET = "s3cret_token-for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEEP_ARRAYS = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
async def url(inbox: MemoryInbox) -> AsyncIterator[str]:
    app = FastAPI()
    app.include_router(webhook_router(inbox, SECRET, BOT_USERNAME))
    async with serve_asgi(app) as origin:
        yield origin + WEBHOOK_PATH


async def _post(url: str, body: bytes, headers: Mapping[str, str | bytes],
                caplog: pytest.LogCaptureFixture) -> httpx.Response:
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url, content=body, headers={"Content-Type": "application/json", **headers})  # type: ignore[arg-type]
    lines = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore", "asyncio"))]
    assert len(lines) <= 1, [r.getMessage()[:200] for r in lines]
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"error"} and answer.json()["error"]["message"]
    return answer


WRONG_SECRETS: list[tuple[str, Mapping[str, str | bytes]]] = [
    ("no secret", {}),
    ("huge secret", {HEADER: "x" * 8000}),
    ("the secret and more", {HEADER: SECRET + "x" * 8000}),
    ("odd unicode", {HEADER: ("s3cret_tokén-for-tests\u200b🎤").encode()}),
    ("latin-1 bytes", {HEADER: b"\xff\xfe" + SECRET.encode()[2:]}),
]


@pytest.mark.parametrize("body", [DEEP_ARRAYS, b"", b"payload=x"], ids=["nested", "empty", "form"])
@pytest.mark.parametrize("headers", [h for _, h in WRONG_SECRETS], ids=[i for i, _ in WRONG_SECRETS])
async def test_without_the_secret_nothing_is_read(url: str, inbox: MemoryInbox, caplog: pytest.LogCaptureFixture,
                                                  body: bytes, headers: Mapping[str, str | bytes]) -> None:
    answer = await _post(url, body, headers, caplog)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert inbox.items == []


NOT_UPDATES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("form", b"payload=x"),
    ("not closed", b'{"update_id": 1, "message": {'),
    ("a list", b"[1, 2]"),
    ("a number", b"42"),
    ("null", b"null"),
    ("100,000 nested arrays", DEEP_ARRAYS),
    ("100,000 nested arrays inside an update", b'{"update_id": 5, "x": ' + DEEP_ARRAYS + b"}"),
    ("50,000 nested objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("401 levels", b'{"update_id": 6, "x": ' + b"[" * 400 + b"]" * 400 + b"}"),
    ("not UTF-8", b'{"update_id": 7, "text": "\xff\xfe"}'),
    ("a lone surrogate for an id", b'{"update_id": "\\ud800"}'),
]


@pytest.mark.parametrize("body", [b for _, b in NOT_UPDATES], ids=[i for i, _ in NOT_UPDATES])
async def test_with_the_secret_a_body_that_is_not_an_update_is_400(
        url: str, inbox: MemoryInbox, caplog: pytest.LogCaptureFixture, body: bytes) -> None:
    answer = await _post(url, body, {HEADER: SECRET}, caplog)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation-error"
    assert inbox.items == []


async def test_nesting_up_to_the_limit_is_read_and_acknowledged(url: str, inbox: MemoryInbox) -> None:
    body = json.dumps({"update_id": 11, "x": json.loads(b"[" * 399 + b"]" * 399)}).encode()
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url, content=body, headers={"Content-Type": "application/json", HEADER: SECRET})
    # Nothing in it for the bot, so acknowledged and dropped; the point is that it was read, not refused.
    assert answer.status_code == 200 and inbox.items == []


async def test_replies_nested_in_replies_are_not_a_server_error(url: str, inbox: MemoryInbox) -> None:
    message: dict[str, object] = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi"}
    for n in range(2, 200):
        message = {"message_id": n, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi",
                   "reply_to_message": message}
    body = json.dumps({"update_id": 12, "message": message}).encode()
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url, content=body, headers={"Content-Type": "application/json", HEADER: SECRET})
    assert answer.status_code < 500
