"""No configured secret ever reaches the log, even at DEBUG, over a whole night on Telegram and Slack.

The service runs as ``karaoke serve`` in its own process (so logging is set up exactly as in production)
with every secret configured: the Telegram token and webhook secret, the Slack bot token, signing secret
and app token, the admin token and (on PostgreSQL) a database password. A small night runs through the
stand-in Telegram (webhook mode) and Slack, the admin API is used, and a few forged requests arrive. Then
everything the process wrote is searched for each secret.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from bots.telegram import WEBHOOK_PATH
from core.catalog import SongDraft
from karaoke.bootstrap import build
from karaoke.redact import Redactor, install_redaction
from tests.conftest import settings_for
from tests.e2e.waiting import eventually, texts
from tests.service_process import ServiceProcess, free_port
from tests.standins import FakeSlack, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TELEGRAM_TOKEN = "987654321:AAH-telegram-Secret-7d1e0b"
WEBHOOK_SECRET = "webhook-Secret-5c2a91"
SLACK_BOT_TOKEN = "xoxb-4242-slack-Secret-bot-88aa"
SLACK_SIGNING_SECRET = "signing-Secret-0f3b7e6d"
SLACK_APP_TOKEN = "xapp-1-app-Secret-19cd"
ADMIN_TOKEN = "admin-Secret-b4e8f2a61c9d"
DB_PASSWORD = "db-Secret-pw-31f6"
SONGS = [("Bohemian Rhapsody", "Queen"), ("Sweet Caroline", "Neil Diamond"), ("Zombie", "The Cranberries")]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TELEGRAM_TOKEN) as fake:
        yield fake


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(token=SLACK_BOT_TOKEN, signing_secret=SLACK_SIGNING_SECRET) as fake:
        yield fake


def with_password(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    # The test cluster trusts local connections, so any password is accepted; what matters is that one is set.
    return parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


async def test_a_night_at_debug_level_logs_no_secret(
        db_url: str, tg: FakeTelegram, slack: FakeSlack, tmp_path: Path) -> None:
    async with build(settings_for(db_url), upgrade=False) as container:
        for title, artist in SONGS:
            await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=240))
    url = with_password(db_url)
    secrets = [TELEGRAM_TOKEN, WEBHOOK_SECRET, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, ADMIN_TOKEN]
    if url != db_url:
        secrets.append(DB_PASSWORD)
    port = free_port()
    log = tmp_path / "service.log"
    service = ServiceProcess("service", {
        "KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN_TOKEN, "KARAOKE_LOG_LEVEL": "DEBUG",
        "KARAOKE_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "KARAOKE_TELEGRAM_API_URL": tg.origin,
        "KARAOKE_TELEGRAM_MODE": "webhook", "KARAOKE_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "KARAOKE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "KARAOKE_SLACK_BOT_TOKEN": SLACK_BOT_TOKEN, "KARAOKE_SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "KARAOKE_SLACK_APP_TOKEN": SLACK_APP_TOKEN, "KARAOKE_SLACK_API_URL": slack.base_url,
        "KARAOKE_SAFETY_NET_SECONDS": "0.25", "KARAOKE_OUTBOX_POLL_SECONDS": "0.05",
    }, log)
    kj, ann = tg.user(1, "Kay", "kay_jay"), tg.user(2, "Ann", "ann")
    bar = tg.group(-1001, "The Bar")

    async def say(chat: dict[str, Any] | None, user: dict[str, Any], words: str) -> None:
        tg.push_message(chat, user, words)
        assert set(await tg.flush_to_webhook()) == {200}

    try:
        await service.start(port)
        assert tg.webhook["url"] == f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        await say(bar, kj, "/open Secret Night")
        await eventually(lambda: any("Join code" in t for t in texts(tg, -1001)), "the join code", within=20)
        code = next(t for t in texts(tg, -1001) if "Join code" in t).split("Join code: ")[1][:5]
        await say(None, ann, f"/start {code}")
        await say(None, ann, "/request bohemian rapsody")
        await eventually(lambda: any("Bohemian Rhapsody" in t for t in texts(tg, 2)), "Ann's request", within=20)
        events = f"{service.url}/slack/events"
        joined = await slack.deliver(events, "command", text=f"join {code}", user_id="U0BOB", user_name="bob",
                                     channel_id="D0BOB", channel_name="directmessage")
        assert joined.status == 200
        await slack.deliver(events, "command", text="request sweet caroline", user_id="U0BOB", user_name="bob",
                            channel_id="D0BOB", channel_name="directmessage")
        await say(bar, kj, "/next")
        await eventually(lambda: any(t.startswith("Now singing") for t in texts(tg, -1001)), "the /next", within=20)
        await eventually(lambda: len(slack.calls_to("chat.postMessage")) + len(slack.responses) >= 2,
                         "Bob's replies", within=20)
        # Forged and wrongly authorised requests get logged as refusals: still without a secret.
        assert (await slack.deliver(events, "command", text="next", bad_signature=True)).status == 401
        assert (await tg.post_update_to(service.url + WEBHOOK_PATH, {"update_id": 1}, "wrong"))[0] == 403
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
            shows = (await http.get("/api/v1/shows")).json()["items"]
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            assert (await http.get(f"/api/v1/shows/{shows[0]['show_id']}/notices", headers=admin)).status_code == 200
            assert (await http.post("/api/v1/shows", json={"name": "x"},
                                    headers={"Authorization": "Bearer nope"})).status_code == 401
    finally:
        await service.stop()

    written = log.read_text(encoding="utf-8", errors="replace")
    # The log is the real thing: DEBUG lines, and the Bot API calls the transport reports (their token scrubbed).
    assert " DEBUG " in written and "/sendMessage" in written, written[-3000:]
    assert "/bot[redacted]/sendMessage" in written
    leaked = {secret for secret in secrets if secret in written}
    assert not leaked, f"secrets in the log: {sorted(leaked)}; see {log}"


def test_a_record_is_scrubbed_in_its_message_arguments_and_traceback() -> None:
    redactor = Redactor([ADMIN_TOKEN, "abc"])
    logger = logging.getLogger("tests.redaction")
    caught: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = caught.append  # type: ignore[method-assign,assignment]
    logger.addHandler(handler)
    previous = logging.getLogRecordFactory()
    install_redaction(redactor)
    try:
        url = httpx.URL(f"https://api.telegram.org/bot{TELEGRAM_TOKEN}/getMe")
        logger.warning('HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK")
        logger.warning("%s - %s %d", ("127.0.0.1", 5), f"/x?token={ADMIN_TOKEN}", 401)
        try:
            raise RuntimeError(f"cannot reach postgresql://u:{DB_PASSWORD}@db/k with {ADMIN_TOKEN}")
        except RuntimeError:
            redactor.add(DB_PASSWORD)
            logger.exception("failed")
    finally:
        logging.setLogRecordFactory(previous)
        logger.removeHandler(handler)
    formatted = [logging.Formatter().format(record) for record in caught]
    assert formatted[0] == 'HTTP Request: POST https://api.telegram.org/bot[redacted]/getMe "HTTP/1.1 200 OK"'
    # The arguments keep their shape (uvicorn's access formatter unpacks them); "abc" is too short to count.
    assert caught[1].args == (("127.0.0.1", 5), "/x?token=[redacted]", 401)
    assert "cannot reach postgresql://u:[redacted]@db/k with [redacted]" in formatted[2]
    assert not any(secret in text for text in formatted for secret in (ADMIN_TOKEN, DB_PASSWORD, TELEGRAM_TOKEN))


@pytest.mark.parametrize(("line", "scrubbed"), [
    ("GET https://api.telegram.org/bot123456:AAH-x_y/getMe", "GET https://api.telegram.org/bot[redacted]/getMe"),
    ("file /file/bot99:abc/photos/1.jpg", "file /file/bot[redacted]/photos/1.jpg"),
    ("auth xoxb-1-2-abc failed; app xapp-1-A1-2f", "auth [redacted] failed; app [redacted]"),
    ("/bottles/ and a robot:42 stay as they are", "/bottles/ and a robot:42 stay as they are"),
])
def test_bot_api_paths_and_slack_tokens_are_scrubbed_even_when_not_configured(line: str, scrubbed: str) -> None:
    assert Redactor().text(line) == scrubbed
