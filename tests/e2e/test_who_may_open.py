"""Who may run a night, through the real service and the real python-telegram-bot against the stand-in
Telegram: one person's /open in twenty groups makes at most their limit of shows, and with an invite made,
only its redeemer may open. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
import pytest

from core.chat import make_invite
from karaoke.bootstrap import Container
from tests.conftest import settings_for
from tests.e2e.waiting import eventually, texts
from tests.live_server import live_service
from tests.standins import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LIMIT_LINE = "You already run 3 open shows — that's the limit. /close one you're done with first."
NOT_ALLOWED = "Only this venue's KJs can open shows."
CODE_CHARS = "7K3M9QXA2BCD"


def service(db_url: str, tg: FakeTelegram, prepare: Any = None) -> Any:
    settings = settings_for(db_url, telegram_token=tg.token, telegram_api_url=tg.origin, safety_net_seconds=0.05,
                            outbox_poll_seconds=0.05)
    return live_service(settings, prepare=prepare)


async def test_one_person_opening_in_twenty_groups_gets_three_shows_and_a_friendly_line(
    db_url: str, tg: FakeTelegram
) -> None:
    spammer = tg.user(555123, "Spam", "spam")
    groups = [tg.group(-1000 - n, f"Group {n}") for n in range(20)]
    async with service(db_url, tg) as url:
        for n, group in enumerate(groups):
            tg.push_message(group, spammer, f"/open Night {n}")
        await eventually(lambda: all(texts(tg, g["id"]) for g in groups), "every group is answered", within=30)
        answers = [texts(tg, g["id"]) for g in groups]
        opened = [a for a in answers if any("Join code" in t for t in a)]
        refused = [a for a in answers if a == [LIMIT_LINE]]
        assert (len(opened), len(refused)) == (3, 17), answers
        async with httpx.AsyncClient() as http:
            listed = (await http.get(f"{url}/api/v1/shows", params={"status": "open"})).json()
        assert listed["total"] == 3


async def test_once_an_invite_exists_only_its_redeemer_opens_on_telegram(db_url: str, tg: FakeTelegram) -> None:
    picks = itertools.cycle(CODE_CHARS)
    code = "KJ-7K3M-9QXA-2BCD"

    async def invite(container: Container) -> None:
        made = await make_invite(container.kjs, container.clock.now(), timedelta(hours=1), lambda _: next(picks))
        assert made == code

    kim, bob = tg.user(1, "Kim", "kim"), tg.user(2, "Bob", "bob")
    bar = tg.group(-1001, "The Bar")
    async with service(db_url, tg, prepare=invite):
        tg.push_message(bar, bob, "/open Bob's night")
        await eventually(lambda: any(NOT_ALLOWED in t for t in texts(tg, -1001)), "bob is refused")
        tg.push_message(None, kim, f"/redeem {code}")
        await eventually(lambda: any("You're a KJ now!" in t for t in texts(tg, 1)), "kim redeems")
        tg.push_message(None, bob, f"/redeem {code}")
        await eventually(lambda: any("already been used" in t for t in texts(tg, 2)), "bob is too late")
        tg.push_message(bar, kim, "/open Kim's night")
        await eventually(lambda: any("Join code" in t for t in texts(tg, -1001)), "kim opens")
    assert not any("Bob's night" in t for t in texts(tg, -1001))
