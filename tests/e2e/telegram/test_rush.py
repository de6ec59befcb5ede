"""The room rush: forty singers send /request in one Telegram group within a second.

The real service (inbox worker, dispatcher, Telegram's published limits kept) runs against the
stand-in Telegram on SQLite and PostgreSQL. Every singer must get an answer naming their song, all
forty songs must be queued, nothing lost or said twice, and no flood limit broken. How fast is the
benchmark's business (benchmarks/bots.py --rush); here only what happens, not when. Coalescing is
what lets it finish in seconds: one group takes at most 20 messages a minute.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from telegram import Bot

from bots.telegram import TelegramSender
from bots.telegram.render import MAX_TEXT, measure, render_together
from core.chat import Person, Reply, Room
from core.delivery import Delivered, OutboxItem
from core.delivery.coalesce import coalesce
from tests.conftest import settings_for
from tests.e2e.rush import SINGERS, WORDS, seed
from tests.e2e.waiting import eventually
from tests.live_server import live_service
from tests.standins import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

GROUP_ID = -1001777
def lines_of(tg: FakeTelegram, group_id: int = GROUP_ID) -> list[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    """Every line the group received: (text, the mentions on it, the message it was in)."""
    found = []
    for message in tg.sent_messages(group_id):
        offset = 0
        for line in message.get("text", "").split("\n"):
            end = offset + len(line.encode("utf-16-le")) // 2
            mentions = [e for e in message.get("entities", []) if offset <= e["offset"] < end]
            found.append((line, mentions, message))
            offset = end + 1
    return found


@pytest.mark.parametrize("groups", [1, 5], ids=["one group", "five groups"])
async def test_forty_singers_requesting_at_once_in_each_group_all_hear_back_within_the_limits(
    db_url: str, groups: int
) -> None:
    # Five bars opening at the same moment share the bot's 30 messages a second; each bar has its own minute.
    async with FakeTelegram() as tg:
        settings = settings_for(db_url, telegram_token=tg.token, telegram_api_url=tg.origin,
                                outbox_poll_seconds=0.05)
        bars = [GROUP_ID - g for g in range(groups)]
        kjs = [tg.user(1 + g, f"Kay {g}", f"kay_jay{g}") for g in range(groups)]
        singers = {bar: [tg.user(100 + 1000 * g + n, f"Singer {g}.{n}", f"singer{g}_{n}") for n in range(SINGERS)]
                   for g, bar in enumerate(bars)}
        async with live_service(settings, prepare=seed) as url:
            for g, bar in enumerate(bars):
                tg.push_message(tg.group(bar, f"Bar {g}"), kjs[g], f"/open Rush Night {g}")
            await eventually(lambda: all(any("Join code" in m.get("text", "") for m in tg.sent_messages(bar))
                                         for bar in bars))
            for n in range(SINGERS):
                for bar in bars:
                    tg.push_message(bar, singers[bar][n], f"/request {WORDS[n].lower()}")
            # Each line answers one singer; the night's opening is the one line that does not.
            await eventually(lambda: all(len(lines_of(tg, bar)) >= SINGERS + 1 for bar in bars),
                             "an answer for every singer", within=120)
            async with httpx.AsyncClient(base_url=url) as client:
                shows = {show["name"]: show["show_id"] for show in (await client.get("/api/v1/shows")).json()["items"]}
                queues = {bar: (await client.get(f"/api/v1/shows/{shows[f'Rush Night {g}']}/queue")).json()
                          for g, bar in enumerate(bars)}

        for bar in bars:
            answers = [line for line in lines_of(tg, bar) if "Join code" not in line[0]]
            assert len(answers) == SINGERS, "every singer answered once, nobody twice"
            for n, singer in enumerate(singers[bar]):
                song = f"{WORDS[n]} — The Band {n}"
                (text, mentions, message) = next(line for line in answers if song in line[0])
                assert text.count("Queued") == 1, f"singer {n}'s song was queued: {text!r}"
                if message["text"] != text:  # one line of a coalesced message: it names and mentions its singer
                    assert text.startswith(f"{singer['first_name']}: Queued {song}.")
                    assert [(m["type"], m["user"]["id"]) for m in mentions] == [("text_mention", singer["id"])]
            assert len(tg.sent_messages(bar)) <= 20, "the rush fits in the group's minute"
            queued = {(slot["singer"]["name"], slot["song"]["title"]) for slot in queues[bar]["upcoming"]}
            assert queued == {(s["first_name"], WORDS[n]) for n, s in enumerate(singers[bar])}, "all forty queued"
        assert tg.rate_violations() == []


async def test_the_sender_says_several_answers_as_one_message_with_each_singer_mentioned(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.group(GROUP_ID, "The Bar")
    group = Room("telegram", str(GROUP_ID), private=False)
    people = [Person("telegram", "501", "Ann"), Person("telegram", "502", "Zoë 🎤", "zoe")]
    items: Sequence[OutboxItem] = [
        OutboxItem(n, f"k{n}", "telegram", Reply(group, person, f"Queued Song {n}. You're {n + 2}nd, about 5 min."),
                   {}, 1, f"room:{GROUP_ID}", True)
        for n, person in enumerate(people)
    ]
    sender = TelegramSender(bot)
    assert await sender.send_together(items) == Delivered()
    [message] = tg.sent_messages(GROUP_ID)
    assert message["text"] == ("Ann: Queued Song 0. You're 2nd, about 5 min.\n"
                               "Zoë 🎤: Queued Song 1. You're 3nd, about 5 min.")
    first, second = message["entities"]
    assert (first["type"], first["offset"], first["length"], first["user"]["id"]) == ("text_mention", 0, 3, 501)
    # Offsets count UTF-16 units: the microphone emoji takes two.
    after_first_line = len(message["text"].split("\n")[0]) + 1
    assert (second["offset"], second["length"], second["user"]["id"]) == (after_first_line, 6, 502)


def test_answers_past_telegrams_length_limit_go_out_in_as_few_messages_as_fit() -> None:
    # 200 answers with emoji-laden names: each message within 4096 UTF-16 units, none nearly empty.
    group = Room("telegram", str(GROUP_ID), private=False)
    items = [
        OutboxItem(n, f"k{n}", "telegram",
                   Reply(group, Person("telegram", str(500 + n), f"Singer 🎤🎶 {n}"),
                         f"Queued A Rather Long Song Title Number {n} — Some Band. You're {n}th, about {n} min."),
                   {}, 1, f"room:{GROUP_ID}", True)
        for n in range(200)
    ]
    messages = coalesce(items, limit=TelegramSender.max_length, measure=measure)
    rendered = [render_together([item.reply for item in message]) for message in messages]
    sizes = [len(m["text"].encode("utf-16-le")) // 2 for m in rendered]
    assert sum(len(message) for message in messages) == 200
    assert all(size <= MAX_TEXT for size in sizes), sizes
    assert len(messages) > 1
    assert all(size > MAX_TEXT - 120 for size in sizes[:-1]), "split only where one more line would not fit"


STARTED = 30  # of the forty, these opened a private chat with the bot before the night


def picks(tg: FakeTelegram, chat_id: int) -> list[str]:
    """The songs offered on the buttons of every message to ``chat_id`` that carries buttons, one entry per message."""
    return ["|".join(row[0]["text"] for row in m["reply_markup"]["inline_keyboard"])
            for m in tg.sent_messages(chat_id) if "reply_markup" in m]


async def test_in_a_rush_singers_who_started_the_bot_get_their_own_answers_privately_within_the_limits(
    db_url: str,
) -> None:
    # Forty singers ask /search in the group at once: each answer is for its asker alone and carries buttons,
    # so none can be merged and the group takes twenty a minute. Those who opened a private chat with the bot
    # get theirs there as soon as the group is busy; the others' answers stay in the group.
    async with FakeTelegram() as tg:
        settings = settings_for(db_url, telegram_token=tg.token, telegram_api_url=tg.origin,
                                outbox_poll_seconds=0.05)
        kj, bar = tg.user(1, "Kay", "kay_jay"), tg.group(GROUP_ID, "The Bar")
        singers = [tg.user(100 + n, f"Singer {n}", f"singer{n}") for n in range(SINGERS)]
        async with live_service(settings, prepare=seed):
            for singer in singers[:STARTED]:
                tg.push_message(None, singer, "/start")
            await eventually(lambda: all(tg.sent_messages(s["id"]) for s in singers[:STARTED]), "every /start answered")
            tg.push_message(bar, kj, "/open Rush Night")
            await eventually(lambda: any("Join code" in m.get("text", "") for m in tg.sent_messages(GROUP_ID)))
            for n, singer in enumerate(singers):
                tg.push_message(bar, singer, f"/search {WORDS[n].lower()}")

            def answered() -> int:
                return len(picks(tg, GROUP_ID)) + sum(len(picks(tg, s["id"])) for s in singers)

            await eventually(lambda: answered() >= SINGERS, "an answer for every singer", within=90)

        in_group = picks(tg, GROUP_ID)
        privately = 0
        for n, singer in enumerate(singers):
            song = f"{WORDS[n]} — The Band {n}"
            mine = [p for p in picks(tg, singer["id"]) + in_group if p.split("|")[0] == song]
            assert len(mine) == 1, f"singer {n} answered once, not {len(mine)} times"
            privately += len(picks(tg, singer["id"]))
            if n >= STARTED:
                assert picks(tg, singer["id"]) == [], "a bot may not write first to someone who never started it"
        # An answer that could go privately went to the group only when it found the group's slot free (no group
        # message in the second before it); how many did depends on how fast the answers came (the benchmark's
        # business), but once the group was busy the rest went privately.
        to_group = sorted((c for c in tg.calls_to("sendMessage") if c.ok and c.params.get("chat_id") == GROUP_ID),
                          key=lambda c: c.time)
        started_songs = {f"{WORDS[n]} — The Band {n}" for n in range(STARTED)}
        for before, call in itertools.pairwise(to_group):
            if any(song in str(call.params.get("reply_markup")) for song in started_songs):
                assert call.time - before.time >= 0.9, "an answer that could go privately waited for the group"
        assert privately >= 1, "nobody was answered privately though the group was busy"
        assert tg.rate_violations() == []
        assert len(tg.sent_messages(GROUP_ID)) <= 20, "the group's minute was never exceeded"
