"""FakeSlack proven against the real slack_sdk AsyncWebClient and a real slack_bolt AsyncApp served over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.standins import signing
from tests.standins.asgi import serve_asgi
from tests.standins.slack_api import FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@contextlib.asynccontextmanager
async def served(app: AsyncApp) -> AsyncIterator[str]:
    """Mount Bolt in Starlette and serve it on a loopback port; yields the events URL."""
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async with serve_asgi(Starlette(routes=[Route("/slack/events", events, methods=["POST"])])) as url:
        yield f"{url}/slack/events"


def bolt_app(slack: FakeSlack) -> AsyncApp:
    # Give Bolt the token through the client: passing token= as well makes Bolt log that it skipped it.
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    return AsyncApp(client=client, signing_secret=slack.signing_secret)


async def test_slash_command_acks_posts_and_responds(slack: FakeSlack) -> None:
    app = bolt_app(slack)
    seen: list[dict[str, Any]] = []

    @app.command("/karaoke")
    async def karaoke(ack: AsyncAck, body: dict[str, Any], say: AsyncSay, respond: AsyncRespond) -> None:
        await ack("Searching…")
        seen.append(body)
        await say(f"<@{body['user_id']}> asked for {body['text']}")
        await respond("Queued you (only you can see this)")

    async with served(app) as url:
        delivery = await slack.deliver(url, "command", text="request Wonderwall", user_id="U0ALICE")
        assert delivery.status == 200 and delivery.text == "Searching…"
        assert delivery.elapsed < 3
        [post] = await slack.wait_for_posted("C0GENERAL")
        [reply] = await slack.wait_for_response(delivery.response_url)
    assert post["text"] == "<@U0ALICE> asked for request Wonderwall" and post["user"] == slack.bot_user_id
    assert reply["text"] == "Queued you (only you can see this)"
    assert seen[0]["command"] == "/karaoke" and seen[0]["team_id"] == slack.team_id
    # Bolt's single-workspace authorization calls auth.test first; the Web API calls carry the bot token.
    assert slack.calls[0].method == "auth.test"
    assert all(call.token == slack.token for call in slack.calls)
    assert slack.calls_to("chat.postMessage")[0].content_type == "application/json"


async def test_bad_signature_and_stale_timestamp_are_rejected(slack: FakeSlack) -> None:
    app = bolt_app(slack)
    ran: list[str] = []

    @app.command("/karaoke")
    async def karaoke(ack: AsyncAck) -> None:
        ran.append("ran")
        await ack()

    async with served(app) as url:
        assert (await slack.deliver(url, "command", bad_signature=True)).status == 401
        assert (await slack.deliver(url, "command", stale=True)).status == 401
        ok = await slack.deliver(url, "command")
    assert ok.status == 200 and ran == ["ran"]


async def test_block_actions_button_reaches_the_action_listener(slack: FakeSlack) -> None:
    app = bolt_app(slack)
    values: list[str] = []

    @app.action("queue_song")
    async def queue_song(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        values.append(body["actions"][0]["value"])
        await client.chat_update(channel=body["channel"]["id"], ts=body["container"]["message_ts"], text="Queued ✔",
                                 blocks=[])

    posted = await AsyncWebClient(token=slack.token, base_url=slack.base_url).chat_postMessage(
        channel="C0GENERAL", text="Wonderwall?",
        blocks=[{"type": "actions", "elements": [{"type": "button", "action_id": "queue_song", "value": "song-42",
                                                  "text": {"type": "plain_text", "text": "Queue"}}]}])
    async with served(app) as url:
        delivery = await slack.deliver(url, "block_actions", action_id="queue_song", value="song-42",
                                       message_ts=posted["ts"])
        assert delivery.status == 200
        await slack.wait_for_call("chat.update")
    assert values == ["song-42"]
    assert slack.messages[("C0GENERAL", posted["ts"])]["text"] == "Queued ✔"
    assert "blocks" not in slack.messages[("C0GENERAL", posted["ts"])]


async def test_events_api_mention_and_redelivery_headers(slack: FakeSlack) -> None:
    app = bolt_app(slack)
    retries: list[str | None] = []

    @app.event("app_mention")
    async def mention(body: dict[str, Any], say: AsyncSay, request: Any) -> None:
        retries.append((request.headers.get("x-slack-retry-num") or [None])[0])
        await say("🎤")

    async with served(app) as url:
        event = signing.message_event("<@U0KARABOT> sing", event_type="app_mention")
        first = await slack.deliver(url, "event", event=event, event_id="Ev0000000042")
        again = await slack.deliver(url, "event", event=event, event_id="Ev0000000042", retry_num=1)
        assert first.status == again.status == 200
        await slack.wait_for_posted("C0GENERAL", count=2)
        challenge = await slack.deliver(url, "url_verification", challenge="abc")
    assert retries == [None, "1"]
    assert challenge.json() == {"challenge": "abc"}


async def test_web_api_faults_surface_in_slack_sdk(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0GENERAL", text="hi")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert caught.value.response["error"] == "ratelimited"

    slack.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0NOPE", text="hi")
    assert caught.value.response.status_code == 200 and caught.value.response["error"] == "channel_not_found"

    # The default AsyncWebClient retries one dropped connection (ConnectionErrorRetryHandler) ...
    slack.drop_connection_next("chat.postMessage")
    assert (await client.chat_postMessage(channel="C0GENERAL", text="retried"))["ok"]
    assert [c.error for c in slack.calls_to("chat.postMessage")][-2:] == ["network error (connection dropped)", None]
    # ... but not two in a row.
    slack.drop_connection_next("chat.postMessage", times=2)
    with pytest.raises(aiohttp.ClientError):
        await client.chat_postMessage(channel="C0GENERAL", text="lost")

    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)
    with pytest.raises(SlackApiError) as caught:
        await wrong.auth_test()
    assert caught.value.response["error"] == "invalid_auth"


async def test_web_api_methods(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    slack.add_user("U0ALICE", "alice", real_name="Alice Example")
    assert (await client.users_info(user="U0ALICE"))["user"]["real_name"] == "Alice Example"
    assert slack.calls_to("users.info")[0].http_method == "GET"
    opened = await client.conversations_open(users="U0ALICE")
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and dm == slack.dm_channel_for("U0ALICE")
    assert slack.calls_to("conversations.open")[0].params == {"users": "U0ALICE"}  # sent in the query string
    await client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst")
    assert slack.ephemerals[0]["user"] == "U0ALICE"
    view = await client.views_open(trigger_id=signing.new_trigger_id(), view={
        "type": "modal", "title": {"type": "plain_text", "text": "Request"}, "blocks": []})
    assert view["view"]["id"].startswith("V")
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U0NOBODY")


async def test_response_url_is_single_use_five_times(slack: FakeSlack) -> None:
    url = slack.response_url()
    async with aiohttp.ClientSession() as session:
        statuses = []
        for i in range(6):
            async with session.post(url, json={"text": str(i)}) as response:
                statuses.append(response.status)
    assert statuses == [200] * 5 + [404]
    assert [r["text"] for r in slack.responses_to(url)] == ["0", "1", "2", "3", "4"]


def test_signature_matches_slack_docs_example() -> None:
    # https://api.slack.com/authentication/verifying-requests-from-slack (the documented worked example)
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
            b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
            b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
            b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert signing.signature("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")


async def test_deliver_can_wait_concurrently(slack: FakeSlack) -> None:
    waiter = asyncio.create_task(slack.wait_for_posted("C0LATE", timeout=2))
    await asyncio.sleep(0)
    await AsyncWebClient(token=slack.token, base_url=slack.base_url).chat_postMessage(channel="C0LATE", text="x")
    assert len(await waiter) == 1
    with pytest.raises(TimeoutError):
        await slack.wait_for_posted("C0NEVER", timeout=0.1)


async def test_a_response_url_can_expire_or_fail_once(slack: FakeSlack) -> None:
    expired, flaky = slack.response_url(), slack.response_url()
    slack.expire_response_url(expired)
    slack.fail_response_url_next(flaky, 503, "service_unavailable")
    async with aiohttp.ClientSession() as http:
        async with http.post(expired, json={"text": "late"}) as answer:
            assert (answer.status, await answer.text()) == (404, "expired_url")
        async with http.post(flaky, json={"text": "once"}) as answer:
            assert (answer.status, await answer.text()) == (503, "service_unavailable")
        async with http.post(flaky, json={"text": "twice"}) as answer:
            assert answer.status == 200
    assert slack.responses_to(expired) == [] and slack.responses_to(flaky) == [{"text": "twice"}]


async def test_rate_violations_count_web_api_messages_not_response_url_posts(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    url = slack.response_url()
    async with aiohttp.ClientSession() as http:
        for _ in range(5):
            async with http.post(url, json={"text": "free"}) as answer:
                assert answer.status == 200
    await client.chat_postMessage(channel="C0ONE", text="first")
    await client.chat_postEphemeral(channel="C0ONE", user="U0ANN", text="only you")
    assert slack.rate_violations() == [], "one postMessage a second; ephemeral and response_url posts aside"
    await client.chat_postMessage(channel="C0ONE", text="second, too soon")
    assert slack.rate_violations() == ["channel C0ONE: 2 chat.postMessage within 1 s (limit 1)"]
