"""Reading what people type."""

from __future__ import annotations

import pytest

from core.chat.messages import Messages
from core.chat.parsing import ParsedCommand, clean, parse_command, stage_name_problem


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
