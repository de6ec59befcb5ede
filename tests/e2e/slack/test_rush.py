"""The room rush on Slack: forty singers send `/karaoke request <song>` in one channel within a second.

The real service (Bolt intake, inbox worker, dispatcher with Slack's limits kept) runs against the
stand-in Slack on SQLite and PostgreSQL. Every singer must hear back through their own command's
response_url, naming their song; all forty songs must be queued; nothing lost or said twice; and no
chat.postMessage limit broken (the stand-in's record says). A command's response_url is not under
the channel's one message a second, which is what lets forty answers go out at once; how fast is the
benchmark's business (benchmarks/bots.py --rush --platform slack), here only what happens.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, settings_for
from tests.e2e.rush import SINGERS, WORDS, seed
from tests.e2e.waiting import eventually
from tests.live_server import live_service
from tests.standins import FakeSlack

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CHANNEL: dict[str, Any] = {"channel_id": "C0RUSH", "channel_name": "rush"}
KJ: dict[str, Any] = {"user_id": "U0KJ", "user_name": "kay"}
def song_of(n: int) -> str:
    return f"{WORDS[n]} — The Band {n}"


def singer(n: int) -> dict[str, Any]:
    return {"user_id": f"U0S{n:03d}", "user_name": f"singer{n}"}


def service(db_url: str, slack: FakeSlack) -> Any:
    settings = settings_for(db_url, slack_bot_token=slack.token, slack_signing_secret=slack.signing_secret,
                            slack_api_url=slack.base_url, outbox_poll_seconds=0.05)
    return live_service(settings, prepare=seed)


async def open_show(slack: FakeSlack, events: str) -> str:
    opening = await slack.deliver(events, "command", text="open Rush Night", **KJ, **CHANNEL)
    assert opening.status == 200 and opening.response_url is not None
    await eventually(lambda: len(slack.responses_to(opening.response_url)) >= 1, "the show's opening")
    [opened] = slack.responses_to(opening.response_url)
    code = re.search(r"Join code: (\w+)", opened["text"])
    assert code is not None and opened["response_type"] == "in_channel"
    return code.group(1)


async def queued_titles(url: str) -> list[str]:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
        [show] = (await http.get("/api/v1/shows")).json()["items"]
        queue = (await http.get(f"/api/v1/shows/{show['show_id']}/queue")).json()
    slots = ([queue["now"]] if queue["now"] else []) + queue["upcoming"]
    return [slot["song"]["title"] for slot in slots]


async def test_forty_slash_commands_in_one_channel_are_each_answered_through_their_own_response_url(
    db_url: str, slack: FakeSlack
) -> None:
    for n in range(SINGERS):
        slack.add_user(singer(n)["user_id"], singer(n)["user_name"], real_name=f"Singer {n}")
    async with service(db_url, slack) as url:
        events = f"{url}/slack/events"
        await open_show(slack, events)

        async def request(n: int) -> str:
            await asyncio.sleep(n / SINGERS)  # all forty within one second
            delivery = await slack.deliver(events, "command", text=f"request {WORDS[n].lower()}",
                                           **singer(n), **CHANNEL)
            assert delivery.status == 200, delivery.text
            assert delivery.response_url is not None
            return delivery.response_url

        urls = await asyncio.gather(*(request(n) for n in range(SINGERS)))
        await eventually(lambda: all(slack.responses_to(u) for u in urls), "an answer for every singer", within=60)
        await asyncio.sleep(0.5)  # anything sent twice would arrive meanwhile
        titles = await queued_titles(url)

    for n, response_url in enumerate(urls):
        [answer] = slack.responses_to(response_url)  # exactly one answer, to their own command
        assert answer["response_type"] == "in_channel", "the room may read who is queued"
        assert answer["text"].startswith(f"Queued {song_of(n)}."), answer["text"]
    assert sorted(titles) == sorted(WORDS), "all forty songs queued"
    assert len(slack.responses) == SINGERS + 1, "nothing said twice (the forty answers and the opening)"
    # Nothing went through chat.postMessage, so no slot of the channel's one message a second was used.
    assert slack.calls_to("chat.postMessage") == [] and slack.rate_violations() == []


@pytest.mark.parametrize("spent", ["used up", "expired"])
async def test_an_answer_whose_response_url_is_spent_comes_through_the_web_api(
    db_url: str, slack: FakeSlack, spent: str
) -> None:
    slack.add_user("U0ANN", "ann", real_name="Ann")
    async with service(db_url, slack) as url:
        events = f"{url}/slack/events"
        await open_show(slack, events)
        response_url = slack.response_url()
        if spent == "used up":  # five posts already made to it (Slack takes five)
            async with httpx.AsyncClient() as http:
                for _ in range(5):
                    assert (await http.post(response_url, json={"text": "earlier"})).status_code == 200
        else:
            slack.expire_response_url(response_url)
        delivery = await slack.deliver(events, "command", text="request avalanche", user_id="U0ANN",
                                       user_name="ann", response_url=response_url, **CHANNEL)
        assert delivery.status == 200
        await eventually(lambda: any(song_of(0) in p["text"] for p in slack.posted_to("C0RUSH")),
                         "the answer in the channel")
        # And a refusal only Ann needs comes to her alone, through chat.postEphemeral.
        again = await slack.deliver(events, "command", text="next", user_id="U0ANN", user_name="ann",
                                    response_url=response_url, **CHANNEL)
        assert again.status == 200
        await eventually(lambda: len(slack.ephemerals) == 1, "the refusal, ephemeral")

    [answer] = [p for p in slack.posted_to("C0RUSH") if song_of(0) in p["text"]]
    assert answer["text"].startswith(f"Queued {song_of(0)}.")
    [refusal] = slack.ephemerals
    assert (refusal["user"], refusal["text"]) == ("U0ANN", "Only the show's KJ can do that.")
    assert [r["text"] for r in slack.responses_to(response_url)] == ["earlier"] * (5 if spent == "used up" else 0)
    assert slack.rate_violations() == []
