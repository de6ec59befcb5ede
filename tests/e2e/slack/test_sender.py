"""SlackSender through the real slack_sdk against FakeSlack: every way a send can go is an outcome."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import SlackSender
from bots.slack.sender import RESPONSE_URL_BUDGET
from core.chat import Button, Person, Reply, Room
from core.delivery import ChannelClosed, Delivered, OutboxItem, PermanentFailure, RetryLater
from tests.standins import FakeSlack

ANN = Person("slack", "U0ANN", "ann", "ann")
BOB = Person("slack", "U0BOB", "bob", "bob")
BAR = Room("slack", "C0BAR", private=False)
ISSUED = datetime(2026, 3, 14, 21, 0, tzinfo=UTC)  # when Slack sent the command (its signed timestamp)


def item(reply: Reply, context: Mapping[str, str] | None = None, attempts: int = 0) -> OutboxItem:
    return OutboxItem(1, "k1", "slack", reply, dict(context or {}), attempts, "room:C0BAR", True)


async def test_a_reply_is_posted_with_blocks_and_a_text_fallback(slack: FakeSlack, client: AsyncWebClient) -> None:
    reply = Reply(BAR, ANN, "Pick <one>:", (Button("Zombie — The Cranberries", "tok1"),))
    assert await SlackSender(client).send(item(reply)) == Delivered()
    [post] = slack.posted_to("C0BAR")
    assert post["text"] == "Pick &lt;one&gt;:"
    assert post["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": "Pick &lt;one&gt;:"}}
    assert post["blocks"][1]["elements"][0]["value"] == "tok1"
    assert slack.calls_to("chat.postMessage")[0].token == slack.token


async def test_a_rate_limit_is_retried_after_slacks_retry_after(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    outcome = await SlackSender(client).send(item(Reply(BAR, ANN, "hi")))
    assert isinstance(outcome, RetryLater) and outcome.seconds == 7
    assert slack.posted == []


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "user_not_found",
                                   "invalid_auth", "invalid_blocks"])
async def test_errors_slack_would_repeat_are_permanent(slack: FakeSlack, client: AsyncWebClient, error: str) -> None:
    slack.fail_next("chat.postMessage", error)
    outcome = await SlackSender(client).send(item(Reply(BAR, ANN, "hi")))
    assert outcome == PermanentFailure(f"slack: {error}")


async def test_an_announcement_reaches_a_channel_the_app_is_not_in_by_response_url(
        slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", "not_in_channel")
    url = slack.response_url()
    outcome = await SlackSender(client).send(item(Reply(BAR, ANN, "Now singing: ann"),
                                                  {"channel": "C0BAR", "response_url": url}))
    assert outcome == Delivered()
    [body] = slack.responses_to(url)
    assert body["response_type"] == "in_channel" and body["text"] == "Now singing: ann"


async def test_slacks_own_trouble_is_retried(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", "internal_error")
    outcome = await SlackSender(client).send(item(Reply(BAR, ANN, "hi"), attempts=2))
    assert outcome == RetryLater(8.0, "slack: internal_error")


async def test_dropped_connections_back_off_and_retry(slack: FakeSlack, client: AsyncWebClient) -> None:
    # slack_sdk retries one dropped connection by itself; two in a row reach the sender.
    slack.drop_connection_next("chat.postMessage", times=2)
    sender = SlackSender(client, base_backoff=2, max_backoff=60)
    first = await sender.send(item(Reply(BAR, ANN, "hi")))
    assert isinstance(first, RetryLater) and first.seconds == 2 and first.reason.startswith("network:")
    slack.drop_connection_next("chat.postMessage", times=2)
    later = await sender.send(item(Reply(BAR, ANN, "hi"), attempts=10))
    assert isinstance(later, RetryLater) and later.seconds == 60
    assert await sender.send(item(Reply(BAR, ANN, "hi"))) == Delivered()


async def test_a_wrong_token_is_permanent(slack: FakeSlack) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url, timeout=5)
    assert await SlackSender(wrong).send(item(Reply(BAR, ANN, "hi"))) == PermanentFailure("slack: invalid_auth")


async def test_a_reply_without_a_room_opens_a_dm(slack: FakeSlack, client: AsyncWebClient) -> None:
    assert await SlackSender(client).send(item(Reply(None, ANN, "You're up next!"))) == Delivered()
    assert slack.calls_to("conversations.open")[0].params == {"users": "U0ANN"}
    [post] = slack.posted_to(slack.dm_channel_for("U0ANN"))
    assert post["text"] == "You're up next!"


def answering(url: str, issued_at: datetime = ISSUED) -> dict[str, str]:
    """The context of a command Ann sent in the bar, with ``url`` as its response_url."""
    return {"source": "command", "channel": "C0BAR", "user": "U0ANN", "response_url": url,
            "issued_at": str(int(issued_at.timestamp()))}


async def test_an_answer_for_the_room_goes_to_the_commands_response_url_in_channel(
        slack: FakeSlack, client: AsyncWebClient) -> None:
    url = slack.response_url()
    sender = SlackSender(client)
    queued = item(Reply(BAR, ANN, "Queued Africa — Toto. You're 3rd, about 9 min."), answering(url))
    channel = sender.free_channel(queued, ISSUED + timedelta(seconds=2))
    assert channel is not None and channel.budget == RESPONSE_URL_BUDGET and channel.cost == 1
    assert await sender.send_free(queued, channel) == Delivered()
    [body] = slack.responses_to(url)
    assert body["response_type"] == "in_channel" and body["replace_original"] is False
    assert body["text"] == "Queued Africa — Toto. You're 3rd, about 9 min."
    assert slack.calls == [], "no Web API call: nothing counted against the channel's chat.postMessage"


async def test_an_ephemeral_answer_goes_to_the_response_url_for_the_asker_alone(
        slack: FakeSlack, client: AsyncWebClient) -> None:
    url = slack.response_url()
    sender = SlackSender(client)
    reply = Reply(BAR, ANN, "Which one?", (Button("Dreams — Fleetwood Mac", "tok3"),), ephemeral=True)
    menu = item(reply, answering(url))
    channel = sender.free_channel(menu, ISSUED)
    assert channel is not None
    assert await sender.send_free(menu, channel) == Delivered()
    [body] = slack.responses_to(url)
    assert body["response_type"] == "ephemeral" and body["replace_original"] is False
    assert body["text"] == "Which one?" and body["blocks"][1]["elements"][0]["value"] == "tok3"
    assert slack.posted == [] and slack.ephemerals == []


def test_which_replies_have_a_free_channel_and_what_it_costs(client: AsyncWebClient) -> None:
    sender = SlackSender(client)
    url = "https://hooks.slack.invalid/r/7"
    fresh = sender.free_channel(item(Reply(BAR, ANN, "Queued"), answering(url)), ISSUED + timedelta(minutes=28))
    long_text = "\n".join(f"{n}. a line of the queue" for n in range(5000))
    long = sender.free_channel(item(Reply(BAR, ANN, long_text), answering(url)), ISSUED)
    assert fresh is not None and long is not None and fresh.key == long.key, "one budget per response_url"
    assert url not in fresh.key, "the URL (a credential) is not kept as the key"
    assert long.cost > 1, "a reply split in several messages takes several posts"
    # Expired, or about to: the Web API instead (and then within the rate limits).
    assert sender.free_channel(item(Reply(BAR, ANN, "Queued"), answering(url)), ISSUED + timedelta(minutes=29)) is None
    # Someone else's ephemeral answer, a reply with no request, a DM: the Web API.
    assert sender.free_channel(item(Reply(BAR, BOB, "Yours", ephemeral=True), answering(url)), ISSUED) is None
    assert sender.free_channel(item(Reply(BAR, ANN, "Queued")), ISSUED) is None
    assert sender.free_channel(item(Reply(None, ANN, "You're up")), ISSUED) is None
    # Without the request's time (stored before it was kept), the URL's own answer says when it has expired.
    undated = {k: v for k, v in answering(url).items() if k != "issued_at"}
    assert sender.free_channel(item(Reply(BAR, ANN, "Queued"), undated), ISSUED + timedelta(days=1)) is not None


@pytest.mark.parametrize("spent", ["used up", "expired", "unknown"])
async def test_a_spent_response_url_is_a_closed_channel_and_the_web_api_takes_the_answer(
        slack: FakeSlack, client: AsyncWebClient, spent: str) -> None:
    url = slack.response_url()
    if spent == "used up":
        async with aiohttp.ClientSession() as session:
            for _ in range(5):
                async with session.post(url, json={"text": "earlier"}) as answered:
                    assert answered.status == 200
    elif spent == "expired":
        slack.expire_response_url(url)
    else:
        url = f"{slack.origin}/response/999"
    sender = SlackSender(client)
    for reply in (Reply(BAR, ANN, "Queued Africa — Toto", ephemeral=True), Reply(BAR, ANN, "Queued Africa — Toto")):
        answer = item(reply, answering(url))
        channel = sender.free_channel(answer, ISSUED)
        assert channel is not None
        outcome = await sender.send_free(answer, channel)
        assert isinstance(outcome, ChannelClosed) and "404" in outcome.reason
        assert await sender.send(answer) == Delivered()
    [ephemeral] = slack.ephemerals
    assert (ephemeral["channel"], ephemeral["user"], ephemeral["text"]) == ("C0BAR", "U0ANN", "Queued Africa — Toto")
    [post] = slack.posted_to("C0BAR")
    assert post["text"] == "Queued Africa — Toto"


async def test_slacks_trouble_at_a_response_url_is_tried_again_later(slack: FakeSlack, client: AsyncWebClient) -> None:
    url = slack.response_url()
    sender = SlackSender(client, base_backoff=2)
    answer = item(Reply(BAR, ANN, "Queued"), answering(url), attempts=1)
    channel = sender.free_channel(answer, ISSUED)
    assert channel is not None
    slack.fail_response_url_next(url, 503, "service_unavailable")
    assert await sender.send_free(answer, channel) == RetryLater(4.0, "response_url: 503 service_unavailable")
    assert await sender.send_free(answer, channel) == Delivered()
    assert len(slack.responses_to(url)) == 1


async def test_ephemeral_without_a_response_url_is_post_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    assert await SlackSender(client).send(item(Reply(BAR, ANN, "Only you", ephemeral=True))) == Delivered()
    assert [(e["channel"], e["user"]) for e in slack.ephemerals] == [("C0BAR", "U0ANN")]


async def test_a_very_long_reply_is_sent_as_several_messages(slack: FakeSlack, client: AsyncWebClient) -> None:
    text = "\n".join(f"{n}. a line of the queue" for n in range(5000))
    assert await SlackSender(client).send(item(Reply(BAR, ANN, text))) == Delivered()
    posts = slack.posted_to("C0BAR")
    assert len(posts) > 1 and all(len(p["text"]) <= 40_000 for p in posts)
    assert "\n".join(p["text"] for p in posts) == text
