"""Odd input gets one friendly line (or silence) and does nothing harmful."""

from __future__ import annotations

import logging
from typing import cast

import pytest

from core.chat import ChatBot, ChatDirectory, Person, Said
from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import PLATFORM, Night


async def joined_night() -> Night:
    night = await Night().start()
    await night.open("kim", "bar")
    await night.say("ann", "dm", f"/join {night.code}")
    return night


@pytest.mark.parametrize(("says", "answer"), [
    ("", "Send /help to see what I can do."),
    ("   \n\t ", "Send /help to see what I can do."),
    ("\u200b\u200f\u202e", "Send /help to see what I can do."),
    ("x" * 10_000, "That message is too long for me."),
    ("/request " + "queen " * 2000, "That message is too long for me."),
    ("/request " + "z" * 300, "That message is too long for me."),
    ("🎤🎶", "No song matched “🎤🎶”. Try the artist's name or fewer words."),
    ("qqqq xxxx zzzz", "No song matched “qqqq xxxx zzzz”."),
    ("/foo", "I don't know /foo. Try /help."),
    ("/FOO@karaokebot bar", "I don't know /foo. Try /help."),
    ("/", "I don't know that. Try /help."),
    ("/😀", "I don't know /😀. Try /help."),
    ("/request", "Tell me what to sing: /request <title or artist>."),
    ("/search", "Tell me what to look for"),
])
async def test_odd_messages_in_private_get_one_friendly_line(says: str, answer: str) -> None:
    night = await joined_night()
    replies = await night.send("ann", "dm", says)
    assert len(replies) == 1 and "\n" not in replies[0].text
    assert answer in replies[0].text
    assert await night.queue_titles() == []


async def test_invisible_and_rtl_marks_do_not_get_in_the_way() -> None:
    night = await joined_night()
    await play(night, [
        ("ann", "dm", "\u200f/request\u200b zom\u200dbi\u202c", ["Queued Zombie"]),
        ("ann", "dm", "/name \u202eAnn\u202c", ["You'll be shown as “Ann”."]),
    ])


async def test_group_chatter_other_bots_and_commands_for_other_bots_get_silence() -> None:
    night = await joined_night()
    await play(night, [
        ("ann", "bar", "great song!", [""]),
        ("ann", "bar", "", [""]),
        ("ann", "bar", "la " * 5000, [""]),
        ("ann", "bar", "/request " + "la " * 5000, ["That message is too long for me."]),
        ("ann", "bar", "/next@otherbot", [""]),
        ("ann", "bar", "/request@KaraokeBot zombi", ["Queued Zombie"]),
    ])
    robot = Person(PLATFORM, "u-robot", "Robot", "robot", is_bot=True)
    assert await night.bot.handle(Said(robot, night.room("bar"), "/request africa", "r1")) == []
    assert await night.queue_titles() == ["Zombie"]


async def test_refusals_in_a_group_are_meant_for_the_asker_only() -> None:
    night = await joined_night()
    [reply] = await night.send("ann", "bar", "/next")
    assert reply.ephemeral and reply.to_person == night.person("ann")
    [reply] = await night.send("ann", "bar", "/request zombi")
    assert not reply.ephemeral


async def test_search_still_loading_is_explained() -> None:
    night = Night()  # index not built
    await night.open("kim", "bar")
    assert await night.say("ann", "bar", "/request zombie") == (
        "The song list is still loading. Please try again in a minute.")


class BrokenDirectory:
    """A directory whose database is down."""

    def __getattr__(self, name: str) -> object:
        async def fail(*args: object) -> None:
            raise RuntimeError("database password is hunter2")
        return fail


async def test_an_unexpected_failure_is_apologised_for_and_logged_not_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    night = await Night().start()
    bot = ChatBot(night.rotation, night.search, night.feed, cast(ChatDirectory, BrokenDirectory()), night.clock,
                  people=night.people)
    with caplog.at_level(logging.ERROR):
        replies = await bot.handle(Said(night.person("ann"), night.room("dm"), "/queue", "u1"))
    assert [r.text for r in replies] == ["Sorry, something went wrong on our side. Please try again."]
    assert "hunter2" in caplog.text and "Traceback" in caplog.text
