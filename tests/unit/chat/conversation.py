"""Play a conversation table against a ``Night``: each line is (who, where, says, expected substrings)."""

from __future__ import annotations

from collections.abc import Sequence

from tests.unit.chat.fakes import Night

Line = tuple[str, str, str, Sequence[str]]


async def play(night: Night, script: Sequence[Line]) -> None:
    """Say each line; the answer must contain every expected substring ("" expects silence)."""
    for who, where, says, expected in script:
        says = says.replace("{code}", night.code)
        if says.startswith("press:"):
            answer = await night.press(who, where, says.removeprefix("press:"))
        else:
            answer = await night.say(who, where, says)
        for part in expected:
            if part == "":
                assert answer == "", f"{who}@{where} {says!r} expected silence, got {answer!r}"
            else:
                assert part in answer, f"{who}@{where} {says!r}: expected {part!r} in {answer!r}"
