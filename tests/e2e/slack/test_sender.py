"""SlackSender through the real slack_sdk against FakeSlack: every way a send can go is an outcome."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import SlackSender
from core.chat import Button, Person, Reply, Room
from core.delivery import Delivered, OutboxItem, PermanentFailure, RetryLater
from tests.standins import FakeSlack

ANN = Person("slack", "U0ANN", "ann", "ann")
BAR = Room("slack", "C0BAR", private=False)


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


async def test_an_ephemeral_answer_uses_the_response_url(slack: FakeSlack, client: AsyncWebClient) -> None:
    url = slack.response_url()
    reply = Reply(BAR, ANN, "Which one?", (Button("Dreams — Fleetwood Mac", "tok3"),), ephemeral=True)
    assert await SlackSender(client).send(item(reply, {"channel": "C0BAR", "response_url": url})) == Delivered()
    [body] = slack.responses_to(url)
    assert body["response_type"] == "ephemeral" and body["replace_original"] is False
    assert body["text"] == "Which one?" and body["blocks"][1]["elements"][0]["value"] == "tok3"
    assert slack.posted == [] and slack.ephemerals == []


async def test_a_spent_response_url_falls_back_to_post_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    spent = f"{slack.origin}/response/999"  # unknown to the fake: 404 like an expired one
    reply = Reply(BAR, ANN, "Queued", ephemeral=True)
    assert await SlackSender(client).send(item(reply, {"channel": "C0BAR", "response_url": spent})) == Delivered()
    [ephemeral] = slack.ephemerals
    assert ephemeral["channel"] == "C0BAR" and ephemeral["user"] == "U0ANN" and ephemeral["text"] == "Queued"


async def test_ephemeral_without_a_response_url_is_post_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    assert await SlackSender(client).send(item(Reply(BAR, ANN, "Only you", ephemeral=True))) == Delivered()
    assert [(e["channel"], e["user"]) for e in slack.ephemerals] == [("C0BAR", "U0ANN")]


async def test_a_very_long_reply_is_sent_as_several_messages(slack: FakeSlack, client: AsyncWebClient) -> None:
    text = "\n".join(f"{n}. a line of the queue" for n in range(5000))
    assert await SlackSender(client).send(item(Reply(BAR, ANN, text))) == Delivered()
    posts = slack.posted_to("C0BAR")
    assert len(posts) > 1 and all(len(p["text"]) <= 40_000 for p in posts)
    assert "\n".join(p["text"] for p in posts) == text
