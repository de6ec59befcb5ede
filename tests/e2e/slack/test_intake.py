"""The real Bolt app behind FastAPI, fed signed requests by FakeSlack: stored once, then acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from fastapi import FastAPI
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import build_slack_app, slack_router
from core.chat import ChatEvent, Person, Pressed, Room, Said
from karaoke.bootstrap import SystemClock
from tests.e2e.slack.conftest import served
from tests.e2e.slack.fakes import MemoryInbox
from tests.standins import FakeSlack, signing


async def test_a_signed_slash_command_is_stored_once_and_acknowledged(slack: FakeSlack) -> None:
    inbox = MemoryInbox()
    async with served(slack, inbox) as url:
        delivery = await slack.deliver(url, "command", text="request wonderwall", user_id="U0ANN", user_name="ann",
                                       channel_id="C0BAR", channel_name="bar", trigger_id="111.222.abc")
        again = await slack.deliver(url, "command", text="request wonderwall", user_id="U0ANN", user_name="ann",
                                    channel_id="C0BAR", channel_name="bar", trigger_id="111.222.abc",
                                    response_url=delivery.response_url, retry_num=1)
    assert delivery.status == again.status == 200
    assert delivery.elapsed < 3
    assert inbox.puts == 2
    [item] = inbox.items
    assert item.event == Said(Person("slack", "U0ANN", "ann", "ann"), Room("slack", "C0BAR", False),
                              "/request wonderwall", "command:111.222.abc")
    # The signed timestamp is kept: the response_url's 30 minutes start then.
    assert item.context == {"source": "command", "channel": "C0BAR", "user": "U0ANN",
                            "response_url": delivery.response_url, "issued_at": str(delivery.timestamp)}


async def test_bad_signatures_and_stale_requests_are_refused_and_not_stored(slack: FakeSlack) -> None:
    inbox = MemoryInbox()
    async with served(slack, inbox) as url:
        forged = await slack.deliver(url, "command", text="next", bad_signature=True)
        stale = await slack.deliver(url, "command", text="next", stale=True)
        forged_press = await slack.deliver(url, "block_actions", action_id="karaoke_choice_0", value="tok1",
                                           bad_signature=True)
        stale_event = await slack.deliver(url, "event", text="hi", channel="D0ANN", channel_type="im", stale=True)
    assert [forged.status, stale.status, forged_press.status, stale_event.status] == [401, 401, 401, 401]
    assert {answer.json()["error"]["code"] for answer in (forged, stale, forged_press, stale_event)} == {"unauthorized"}
    assert inbox.puts == 0 and inbox.items == []


async def test_a_button_press_is_stored_as_pressed(slack: FakeSlack) -> None:
    inbox = MemoryInbox()
    async with served(slack, inbox) as url:
        delivery = await slack.deliver(url, "block_actions", action_id="karaoke_choice_2", value="tok5",
                                       user_id="U0ANN", user_name="ann", channel_id="C0BAR")
        other = await slack.deliver(url, "block_actions", action_id="someone_elses_button", value="x")
    assert delivery.status == 200
    assert other.status == 404  # not the bot's button: Bolt has no listener for it
    assert other.json()["error"]["code"] == "not-found"
    [event] = inbox.events
    assert isinstance(event, Pressed) and event.data == "tok5" and event.person.user_id == "U0ANN"
    assert inbox.items[0].context["response_url"] == delivery.response_url


async def test_a_direct_message_is_stored_with_the_senders_name_and_handle(slack: FakeSlack) -> None:
    slack.add_user("U0ANN", "ann", real_name="Ann Example")
    inbox = MemoryInbox()
    dm = slack.dm_channel_for("U0ANN")
    async with served(slack, inbox) as url:
        event = signing.message_event("dreams", user="U0ANN", channel=dm, channel_type="im")
        first = await slack.deliver(url, "event", event=event, event_id="Ev0000000007")
        retried = await slack.deliver(url, "event", event=event, event_id="Ev0000000007", retry_num=1)
    assert first.status == retried.status == 200
    assert inbox.events == [Said(Person("slack", "U0ANN", "Ann Example", "ann"), Room("slack", dm, True), "dreams",
                                 "event:Ev0000000007")]
    assert len(slack.calls_to("users.info")) == 1  # the name is cached


async def test_a_slash_command_carries_the_name_people_see_not_the_handle(slack: FakeSlack) -> None:
    slack.add_user("U0ANN", "ann", real_name="Ann Example", display_name="Annie")
    slack.add_user("U0BOB", "bob", real_name="Bob Builder")
    inbox = MemoryInbox()
    async with served(slack, inbox) as url:
        for user, name in (("U0ANN", "ann"), ("U0BOB", "bob"), ("U0ZED", "zed")):
            await slack.deliver(url, "command", text="queue", user_id=user, user_name=name, channel_id="C0BAR")
    # The display name, else the real name, else (Slack does not know them) the handle.
    assert [(e.person.name, e.person.username) for e in inbox.events] == [
        ("Annie", "ann"), ("Bob Builder", "bob"), ("zed", "zed")]


async def test_other_messages_are_acknowledged_but_not_stored(slack: FakeSlack) -> None:
    inbox = MemoryInbox()
    dm = slack.dm_channel_for("U0ANN")
    own = {**signing.message_event("Queued!", user=slack.bot_user_id, channel=dm, channel_type="im"),
           "bot_id": slack.bot_id}
    other_bot = {**signing.message_event("beep", user="U0OTHERBOT", channel=dm, channel_type="im"),
                 "subtype": "bot_message", "bot_id": "B0OTHER"}
    edited = {**signing.message_event("", user="U0ANN", channel=dm, channel_type="im"), "subtype": "message_changed",
              "message": {"type": "message", "user": "U0ANN", "text": "dreams!", "ts": "1.1"}}
    chatter = signing.message_event("anyone for karaoke?", user="U0ANN", channel="C0BAR", channel_type="channel")
    async with served(slack, inbox) as url:
        statuses = [(await slack.deliver(url, "event", event=event)).status
                    for event in (own, other_bot, edited, chatter)]
    assert statuses == [200, 200, 200, 200]
    assert inbox.items == []


async def test_when_the_inbox_fails_slack_is_not_acknowledged(slack: FakeSlack) -> None:
    inbox = MemoryInbox(fail_with=ConnectionError("database is down"))
    async with served(slack, inbox) as url:
        command = await slack.deliver(url, "command", text="next")
        press = await slack.deliver(url, "block_actions", action_id="karaoke_choice_0", value="tok1")
        event = await slack.deliver(url, "event", text="dreams", channel="D0ANN", channel_type="im")
    assert [command.status, press.status, event.status] == [500, 500, 500]
    assert {answer.json()["error"]["code"] for answer in (command, press, event)} == {"internal-error"}
    assert inbox.puts == 3


class HeldInbox(MemoryInbox):
    """An inbox whose ``put`` waits until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.let_go = asyncio.Event()

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        self.entered.set()
        await self.let_go.wait()
        return await super().put(event, context)


DELIVERIES: list[tuple[str, dict[str, Any]]] = [
    ("command", {"text": "queue"}),
    ("block_actions", {"action_id": "karaoke_choice_0", "value": "tok1"}),
    ("event", {"text": "dreams", "channel": "D0ANN", "channel_type": "im"}),
]


@pytest.mark.parametrize(("kind", "fields"), DELIVERIES, ids=[kind for kind, _ in DELIVERIES])
async def test_slack_hears_back_only_after_the_update_is_stored(slack: FakeSlack, kind: str,
                                                                fields: dict[str, Any]) -> None:
    inbox = HeldInbox()
    async with served(slack, inbox) as url:
        delivery = asyncio.create_task(slack.deliver(url, kind, **fields))
        try:
            await asyncio.wait_for(inbox.entered.wait(), 5)
            await asyncio.sleep(0.2)
            assert not delivery.done(), f"{kind}: acknowledged before the inbox stored it"
        finally:
            inbox.let_go.set()
        answer = await asyncio.wait_for(delivery, 5)
    assert answer.status == 200 and len(inbox.items) == 1


async def test_the_events_url_answers_slacks_url_verification(slack: FakeSlack) -> None:
    async with served(slack, MemoryInbox()) as url:
        challenge = await slack.deliver(url, "url_verification", challenge="abc123")
    assert challenge.status == 200 and challenge.json() == {"challenge": "abc123"}


def test_the_router_serves_slack_events_and_keeps_it_out_of_the_api_schema(slack: FakeSlack) -> None:
    router = slack_router(build_slack_app(MemoryInbox(), AsyncWebClient(token=slack.token), slack.signing_secret),
                          slack.signing_secret, SystemClock())
    assert [(getattr(route, "path", None), getattr(route, "methods", None)) for route in router.routes] == [
        ("/slack/events", {"POST"})]
    web = FastAPI()
    web.include_router(router)
    assert "/slack/events" not in web.openapi()["paths"]


async def test_control_characters_in_slack_names_never_reach_the_inbox(slack: FakeSlack) -> None:
    slack.add_user("U0ANN", "ann\x07", display_name="Ann\x00\x07")
    inbox = MemoryInbox()
    async with served(slack, inbox) as url:
        await slack.deliver(url, "command", text="queue", user_id="U0ANN", user_name="ann\x07",
                            channel_id="C0BAR", channel_name="bar", trigger_id="1.2.nul")
        await slack.deliver(url, "event", text="/queue", user="U0ANN", channel="D0ANN", channel_type="im")
    assert [(e.person.name, e.person.username) for e in inbox.events] == [("Ann", "ann"), ("Ann", "ann")]


async def test_channel_chatter_is_acknowledged_and_never_stored(slack: FakeSlack) -> None:
    inbox = MemoryInbox()
    async with served(slack, inbox) as url:
        chatter = await slack.deliver(url, "event", text="my phone number is 555-0100", user="U0ANN",
                                      channel="C0BAR", channel_type="channel")
    assert chatter.status == 200 and inbox.puts == 0
