"""A karaoke night told through Slack: real Bolt in, the real conversation core, real slack_sdk out."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import SlackSender
from tests.e2e.slack.conftest import served
from tests.e2e.slack.fakes import MemoryInbox, drain
from tests.standins import FakeSlack
from tests.unit.chat.fakes import NOW, Night

KIM: dict[str, Any] = {"user_id": "U0KIM", "user_name": "kim"}
ANN: dict[str, Any] = {"user_id": "U0ANN", "user_name": "ann"}
BOB: dict[str, Any] = {"user_id": "U0BOB", "user_name": "bob"}
BAR: dict[str, Any] = {"channel_id": "C0BAR", "channel_name": "bar"}


def in_dm(slack: FakeSlack, person: dict[str, Any]) -> dict[str, Any]:
    return {"channel_id": slack.dm_channel_for(person["user_id"]), "channel_name": "directmessage"}


async def test_a_night_from_open_to_a_refused_next(slack: FakeSlack, client: AsyncWebClient) -> None:
    night = await Night(bot_username=None).start()
    sender = SlackSender(client)
    inbox = MemoryInbox()

    async with served(slack, inbox) as url:

        async def command(text: str, who: dict[str, Any], where: dict[str, Any], **extra: Any) -> str:
            delivery = await slack.deliver(url, "command", text=text, **who, **where, **extra)
            assert delivery.status == 200, delivery.text
            outbox = await drain(inbox, night.bot, sender, NOW)
            assert outbox.failed_ids == [] and outbox.waiting() == 0
            assert delivery.response_url is not None
            return delivery.response_url

        # The KJ opens the show in the bar's channel: everyone there sees the code, posted in the
        # channel through the command's own response_url (no chat.postMessage slot used).
        opening = await command("open Friday", KIM, BAR)
        [opened] = slack.responses_to(opening)
        assert opened["response_type"] == "in_channel" and opened["replace_original"] is False
        assert "“Friday” is open! Join code:" in opened["text"]
        code = re.search(r"Join code: (\w+)", opened["text"])
        assert code is not None

        # A singer joins from her DM with the bot; the answer lands in that DM, kept in its history.
        await command(f"join {code.group(1)}", ANN, in_dm(slack, ANN))
        [joined] = slack.posted_to(slack.dm_channel_for("U0ANN"))
        assert joined["text"].startswith("You're in “Friday”!")

        # A request with a typo, in the channel: the room hears she is queued.
        asked = await command("request bohemian rapsody", ANN, BAR)
        [queued] = slack.responses_to(asked)
        assert queued["response_type"] == "in_channel"
        assert queued["text"].startswith("Queued Bohemian Rhapsody — Queen. You're next")

        # An ambiguous request offers buttons to the asker alone (the command's response_url) ...
        asked = await command("request dreams", BOB, BAR)
        [menu] = slack.responses_to(asked)
        assert menu["response_type"] == "ephemeral" and menu["replace_original"] is False
        assert menu["text"] == "Which one did you mean by “dreams”? Pick one:"
        [actions] = [b for b in menu["blocks"] if b["type"] == "actions"]
        [choice] = [e for e in actions["elements"] if e["text"]["text"] == "Dreams — Fleetwood Mac"]
        press = await slack.deliver(url, "block_actions", action_id=choice["action_id"], value=choice["value"],
                                    user_id="U0BOB", user_name="bob", channel_id="C0BAR", message_ts="")
        assert press.status == 200
        await drain(inbox, night.bot, sender, NOW)
        # ... and pressing one queues that song, said to the room through the press's response_url.
        [picked] = slack.responses_to(press.response_url)
        assert picked["response_type"] == "in_channel"
        assert picked["text"].startswith("Queued Dreams — Fleetwood Mac. You're 2nd")

        # The KJ calls the next singer for the whole room; Slack resending that command changes nothing.
        calling = await command("next", KIM, BAR, trigger_id="1700000000.1.next")
        await command("next", KIM, BAR, trigger_id="1700000000.1.next", retry_num=1, response_url=calling)
        announcements = [body["text"] for body in slack.responses_to(calling)]
        assert announcements == ["Now singing: ann — Bohemian Rhapsody (Queen). Up next: bob."]

        # A singer may not run the queue; she alone is told so.
        asked = await command("next", ANN, BAR)
        [refused] = slack.responses_to(asked)
        assert refused["text"] == "Only the show's KJ can do that." and refused["response_type"] == "ephemeral"

    assert await night.queue_titles() == ["Bohemian Rhapsody", "Dreams"]
    # In the channel, everything went through the requests' own response_urls: no chat.postMessage there.
    assert slack.posted_to("C0BAR") == [] and slack.ephemerals == []
    assert [r["response_type"] for r in slack.responses_to()] == [
        "in_channel", "in_channel", "ephemeral", "in_channel", "in_channel", "ephemeral"]
    # Every Web API call carried the bot token and a text fallback.
    posts = slack.calls_to("chat.postMessage")
    assert all(call.token == slack.token for call in slack.calls)
    assert all(call.params["text"] and call.params["blocks"] for call in posts)
