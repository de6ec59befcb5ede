"""Hostile requests to /slack/events: the signature is checked on the raw bytes before anything parses them.

Unsigned, forged, stale or garbled requests get 401, and signed bodies Slack would never send get 400,
always in the error envelope, never a 500, with at most one log line each and the connection kept.
The app is the real Bolt app behind FastAPI on uvicorn (loopback); time comes from a fake clock, so the
requests are signed with its timestamps and nothing depends on today's date.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import build_slack_app, slack_router
from bots.slack.signature import SignatureRefused, SlackSignature
from tests.e2e.slack.fakes import MemoryInbox
from tests.standins import serve_asgi, signing
from tests.unit.fakes import FakeClock

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def inbox() -> MemoryInbox:
    return MemoryInbox()


@pytest.fixture
async def url(inbox: MemoryInbox) -> AsyncIterator[str]:
    client = AsyncWebClient(token="xoxb-not-used", base_url="http://127.0.0.1:9/")
    web = FastAPI()
    web.include_router(slack_router(build_slack_app(inbox, client, SECRET), SECRET, FakeClock(NOW)))
    async with serve_asgi(web) as origin:
        yield f"{origin}/slack/events"


def signed(body: bytes, ts: str = TS, secret: str = SECRET) -> dict[str, str]:
    return signing.sign(secret, body, ts)


UNSIGNED: list[tuple[str, bytes, Mapping[str, str | bytes]]] = [
    ("empty body, no headers", b"", {}),
    ("payload=x, timestamp abc", b"payload=x", {"X-Slack-Request-Timestamp": "abc"}),
    ("payload=x, timestamp abc, some signature", b"payload=x",
     {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64}),
    ("no signature", b"payload=x", {"X-Slack-Request-Timestamp": TS}),
    ("no timestamp", b"payload=x", {"X-Slack-Signature": signing.signature(SECRET, b"payload=x", TS)}),
    ("stale by ten minutes", b"payload=x", signed(b"payload=x", str(int(TS) - 600))),
    ("ten minutes ahead", b"payload=x", signed(b"payload=x", str(int(TS) + 600))),
    ("signed with another secret", b"payload=x", signed(b"payload=x", secret=SECRET + "-wrong")),
    ("signed for another body", b"payload=y", signed(b"payload=x")),
    ("signed at another time", b"payload=x",
     {**signed(b"payload=x", str(int(TS) - 1)), "X-Slack-Request-Timestamp": TS}),
    ("signature in upper case", b"payload=x",
     {**signed(b"payload=x"), "X-Slack-Signature": signed(b"payload=x")["X-Slack-Signature"].upper()}),
    ("huge signature header", b"payload=x", {"X-Slack-Request-Timestamp": TS, "X-Slack-Signature": "v0=" + "a" * 8000}),
    ("huge timestamp", b"payload=x", {"X-Slack-Request-Timestamp": "9" * 5000,
                                      "X-Slack-Signature": "v0=" + "0" * 64}),
    ("timestamp in Arabic-Indic digits", b"payload=x",
     {"X-Slack-Request-Timestamp": "".join(chr(0x660 + int(d)) for d in TS).encode(),
      "X-Slack-Signature": signed(b"payload=x")["X-Slack-Signature"]}),
    ("timestamp with a plus sign", b"payload=x",
     {**signed(b"payload=x"), "X-Slack-Request-Timestamp": f"+{TS}"}),
    ("odd unicode signature", b"payload=x",
     {"X-Slack-Request-Timestamp": TS, "X-Slack-Signature": "v0=\u00e9\u200b\U0001f3a4\ufffd".encode()}),
    ("latin-1 bytes in the signature", b"payload=x",
     {"X-Slack-Request-Timestamp": TS, "X-Slack-Signature": b"v0=\xff\xfe" + b"0" * 62}),
    ("nested JSON, unsigned", DEEP, {"Content-Type": JSON}),
]


@pytest.mark.parametrize(("body", "headers"), [(b, h) for _, b, h in UNSIGNED], ids=[i for i, _, _ in UNSIGNED])
async def test_a_request_not_signed_by_slack_just_now_is_401_in_the_envelope(
        url: str, inbox: MemoryInbox, caplog: pytest.LogCaptureFixture, body: bytes,
        headers: Mapping[str, str | bytes]) -> None:
    answer = await _post(url, body, {"Content-Type": FORM, **headers}, caplog)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert inbox.puts == 0


GARBLED: list[tuple[str, bytes, str]] = [
    ("payload=x", b"payload=x", FORM),
    ("payload is a JSON list", b"payload=%5B1%5D", FORM),
    ("payload is not closed", urlencode({"payload": '{"type": "block_actions"'}).encode(), FORM),
    ("JSON that does not end", b'{"type": "event_callback"', JSON),
    ("a JSON list", b"[1, 2]", JSON),
    ("a JSON string", b'"hello"', JSON),
    ("100,000 nested arrays", DEEP, JSON),
    ("100,000 nested arrays in the payload", b"payload=" + DEEP, FORM),
    ("nested objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, JSON),
    ("not UTF-8", b"text=\xff\xfe\xfd", FORM),
    ("a team that is a number", b'{"type": "event_callback", "authorizations": 5, "event": {}}', JSON),
]


@pytest.mark.parametrize(("body", "content_type"), [(b, c) for _, b, c in GARBLED], ids=[i for i, _, _ in GARBLED])
async def test_a_signed_body_slack_would_never_send_is_400_in_the_envelope(
        url: str, inbox: MemoryInbox, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str) -> None:
    answer = await _post(url, body, {"Content-Type": content_type, **signed(body)}, caplog)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "validation-error"
    assert inbox.puts == 0


async def test_many_garbage_requests_on_one_connection_are_each_answered(url: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(20):
            answer = await http.post(url, content=b"payload=x", headers={
                "Content-Type": FORM, "X-Slack-Request-Timestamp": "abc"})
            assert answer.status_code == 401
        # One connection served all of them: none was dropped.
        assert answer.extensions["network_stream"] is not None


async def _post(url: str, body: bytes, headers: Mapping[str, str | bytes],
                caplog: pytest.LogCaptureFixture) -> httpx.Response:
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url, content=body, headers=headers)  # type: ignore[arg-type]
    # The client's own lines do not count; the service says at most one thing about a refused request.
    lines = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore", "asyncio"))]
    assert len(lines) <= 1, [r.getMessage()[:200] for r in lines]
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"error"} and answer.json()["error"]["message"]
    return answer


@pytest.mark.parametrize(("age", "accepted"), [(-300, True), (0, True), (300, True), (301, False), (-301, False)])
def test_a_signature_is_good_for_five_minutes_either_side_of_the_clock(age: int, accepted: bool) -> None:
    clock = FakeClock(NOW)
    check = SlackSignature(SECRET, clock)
    ts = str(int(TS) - age)
    body = b"command=%2Fkaraoke&text=queue"
    if accepted:
        check.check(body, ts, signing.signature(SECRET, body, ts))
    else:
        with pytest.raises(SignatureRefused):
            check.check(body, ts, signing.signature(SECRET, body, ts))
