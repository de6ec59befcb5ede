"""``AiohttpRequest``, the HTTP layer the service's ``telegram.Bot`` sends through, against real servers on loopback.

The stand-in Bot API checks what arrives against what PTB's own httpx transport sends; a small aiohttp
server of the test's own plays the slow, the busy and the absent server.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest, RequestData

from bots.telegram import AiohttpRequest, telegram_bot
from tests.standins import FakeTelegram

TOKEN = "123456789:AAtest-token"


async def _send_both_ways(tg: FakeTelegram, chat_id: int) -> tuple[dict[str, object], dict[str, object]]:
    """The same buttons-and-options message sent by PTB on httpx and by the service's bot; both calls' params."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Cancel my song", callback_data="c:1:ab")],
                                     [InlineKeyboardButton("Ünïcode ✓ 歌", callback_data="x" * 64)]])
    kwargs = {"chat_id": chat_id, "text": "Queued “Africa” — Toto 🎤 & <b>not bold</b>", "reply_markup": keyboard,
              "link_preview_options": LinkPreviewOptions(is_disabled=True), "disable_notification": True}
    async with Bot(tg.token, base_url=tg.base_url, request=HTTPXRequest()) as stock:
        await stock.send_message(**kwargs)  # type: ignore[arg-type]
    async with telegram_bot(tg.token, tg.origin) as ours:
        await ours.send_message(**kwargs)  # type: ignore[arg-type]
    first, second = tg.calls_to("sendMessage")[-2:]
    assert first.content_type == second.content_type == "application/x-www-form-urlencoded"
    return first.params, second.params


async def test_a_message_arrives_exactly_as_ptbs_own_transport_sends_it(tg: FakeTelegram) -> None:
    person = tg.user(42, "Ann", "ann")
    tg.private_chat(person)
    stock, ours = await _send_both_ways(tg, 42)
    assert ours == stock
    assert ours["reply_markup"]["inline_keyboard"][1][0]["text"] == "Ünïcode ✓ 歌"  # type: ignore[index]


async def test_an_upload_goes_as_multipart_with_its_fields(tg: FakeTelegram) -> None:
    tg.private_chat(tg.user(42, "Ann", "ann"))
    async with telegram_bot(tg.token, tg.origin) as bot:
        await bot.send_document(42, document=b"title;artist\nAfrica;Toto\n", filename="songs.csv",
                                caption="Tonight's songs")
    call = tg.calls_to("sendDocument")[-1]
    assert call.content_type == "multipart/form-data"
    assert call.params["caption"] == "Tonight's songs"
    assert call.params["chat_id"] == 42
    uploaded = next(value for value in call.params.values() if isinstance(value, dict) and "filename" in value)
    assert uploaded["filename"] == "songs.csv"
    assert uploaded["size"] == len(b"title;artist\nAfrica;Toto\n")


async def test_the_platforms_refusals_reach_ptb_as_its_errors(tg: FakeTelegram) -> None:
    tg.private_chat(tg.user(42, "Ann", "ann"))
    async with telegram_bot(tg.token, tg.origin) as bot:
        tg.fail_next("sendMessage", 429, retry_after=7)
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(42, "hi")
        assert flood.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]
        tg.fail_next("sendMessage", 403, description="Forbidden: bot was blocked by the user")
        with pytest.raises(Forbidden):
            await bot.send_message(42, "hi")
        with pytest.raises(BadRequest):
            await bot.send_message(42, "")  # Telegram refuses an empty text
        tg.drop_connection_next("sendMessage")
        with pytest.raises(NetworkError) as dropped:
            await bot.send_message(42, "hi")
        assert not isinstance(dropped.value, TimedOut)
        assert "aiohttp." in dropped.value.message
        message = await bot.send_message(42, "still works")
    assert message.text == "still works"


class _Server:
    """An aiohttp server on 127.0.0.1:<port 0> whose every answer waits ``delay`` seconds; counts requests and
    keeps the host each asked for (as a proxy, it is asked for others)."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.requests = 0
        self.hosts: list[str] = []  # the Host of each request
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.hosts.append(request.host)
        await request.read()
        await asyncio.sleep(self.delay)
        return web.json_response({"ok": True, "result": True})

    async def __aenter__(self) -> _Server:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[_Server]:
    async with _Server() as running:
        yield running


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    async with AiohttpRequest(connection_pool_size=1) as made:
        yield made


def _data() -> RequestData:
    return RequestData()


async def test_a_slow_answer_times_out_at_the_calls_read_timeout(server: _Server, request_: AiohttpRequest) -> None:
    server.delay = 5.0
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await request_.do_request(f"http://127.0.0.1:{server.port}/botX/getMe", "POST", _data(), read_timeout=0.3)
    assert time.monotonic() - started < 3.0


async def test_a_full_pool_times_out_without_sending(server: _Server, request_: AiohttpRequest) -> None:
    server.delay = 5.0
    url = f"http://127.0.0.1:{server.port}/botX/sendMessage"
    first = asyncio.create_task(request_.do_request(url, "POST", _data(), read_timeout=10))
    while server.requests == 0:
        await asyncio.sleep(0.01)
    with pytest.raises(TimedOut):
        await request_.do_request(url, "POST", _data(), pool_timeout=0.2, connect_timeout=0.2)
    assert server.requests == 1  # the second request never left
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)


async def test_nobody_listening_is_a_network_error_not_a_timeout(request_: AiohttpRequest) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(NetworkError) as refused:
            await request_.do_request(f"http://127.0.0.1:{port}/botX/getMe", "POST", _data())
    assert not isinstance(refused.value, TimedOut)


async def test_it_answers_only_between_initialize_and_shutdown(server: _Server) -> None:
    made = AiohttpRequest()
    url = f"http://127.0.0.1:{server.port}/botX/getMe"
    with pytest.raises(RuntimeError, match="not initialized"):
        await made.do_request(url, "POST")
    await made.initialize()
    await made.initialize()  # a second initialize keeps the session
    assert await made.do_request(url, "POST") == (200, b'{"ok": true, "result": true}')
    await made.shutdown()
    await made.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await made.do_request(url, "POST")
    await made.initialize()  # and it can start again, as PTB's Bot may
    assert (await made.do_request(url, "POST"))[0] == 200
    await made.shutdown()


def test_a_pool_needs_a_connection() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AiohttpRequest(connection_pool_size=0)


async def test_the_service_bot_is_built_on_it(tg: FakeTelegram) -> None:
    bot = telegram_bot(TOKEN, tg.origin + "/")
    assert isinstance(bot.request, AiohttpRequest)
    assert bot.base_url == f"{tg.origin}/bot{TOKEN}"


async def test_it_goes_through_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test's server plays the proxy: it is asked for hosts that do not exist on this machine.
    async with _Server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "skipped.example")
        async with AiohttpRequest() as made:
            assert (await made.do_request("http://api.telegram.example/botX/getMe", "POST"))[0] == 200
            assert (await made.do_request("http://api.telegram.example/botX/getMe", "POST"))[0] == 200
            with pytest.raises(NetworkError):  # not proxied, and no such host
                await made.do_request("http://skipped.example/botX/getMe", "POST", connect_timeout=2)
    assert proxy.hosts == ["api.telegram.example", "api.telegram.example"]
