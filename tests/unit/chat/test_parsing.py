"""Reading what people type."""

from __future__ import annotations

import pytest

from core.chat.messages import Messages
from core.chat.parsing import ParsedCommand, addressed_to_bot, clean, clean_name, parse_command, stage_name_problem


@pytest.mark.parametrize(("text", "parsed"), [
    ("/request bohemian rhapsody", ParsedCommand("request", None, "bohemian rhapsody")),
    ("/Queue@KaraokeBot", ParsedCommand("queue", "KaraokeBot", "")),
    ("/move@bot 3 1", ParsedCommand("move", "bot", "3 1")),
    ("/start ABCDE", ParsedCommand("start", None, "ABCDE")),
    ("/", ParsedCommand("", None, "")),
    ("hello", None),
])
def test_commands_are_split_into_name_bot_and_args(text: str, parsed: ParsedCommand | None) -> None:
    assert parse_command(text) == parsed


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("  a \n b\t", "a b"),
    ("\u200ba\u200db\u2066", "ab"),
    ("e\u0301", "é"),
    ("a\x00b", "a b"),
])
def test_clean_removes_invisible_characters_and_folds_spaces(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


@pytest.mark.parametrize(("name", "ok"), [("Ann", True), ("x" * 40, True), ("", False), ("x" * 41, False),
                                          ("An\u200en", False), ("🎤 Queen B", True)])
def test_stage_names_are_1_to_40_visible_characters(name: str, ok: bool) -> None:
    assert (stage_name_problem(name) is None) is ok


@pytest.mark.parametrize(("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                         (12, "12th"), (13, "13th"), (21, "21st"), (102, "102nd")])
def test_ordinals(n: int, text: str) -> None:
    assert Messages().ordinal(n) == text


def test_waits_are_said_in_minutes() -> None:
    assert [Messages().wait(s) for s in (0, 29, 90, 720)] == ["any moment now", "any moment now", "about 2 min",
                                                        "about 12 min"]


@pytest.mark.parametrize(("text", "private", "mentions", "replies", "stored"), [
    ("my phone number is 555-0100, call me", False, False, False, False),
    ("my phone number is 555-0100, call me", True, False, False, True),
    ("/request zombie", False, False, False, True),
    ("/queue@karaoke_bot", False, False, False, True),
    ("/queue@other_bot", False, False, False, False),
    ("hey @Karaoke_Bot what's on", False, False, False, True),
    ("hey @karaoke_bot_fan, nice", False, False, False, False),
    ("hey what's on", False, True, False, True),
    ("sure, thanks", False, False, True, True),
])
def test_in_a_group_only_commands_mentions_and_replies_to_the_bot_are_for_it(
        text: str, private: bool, mentions: bool, replies: bool, stored: bool) -> None:
    assert addressed_to_bot(text, private=private, bot_username="karaoke_bot", mentions_bot=mentions,
                            replies_to_bot=replies) is stored


@pytest.mark.parametrize(("raw", "cleaned"), [("Ann\x00\x07", "Ann"), ("\x00", ""), (None, ""), ("x" * 300, "x" * 200)])
def test_names_lose_control_characters_and_fit_the_directory(raw: str | None, cleaned: str) -> None:
    assert clean_name(raw) == cleaned
