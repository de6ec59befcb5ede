"""Reading what people type: invisible characters out, ``/cmd@bot args`` split, stage names checked."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Longer messages are refused before any work is done on them.
MAX_MESSAGE = 1000
STAGE_NAME_MAX = 40
# What the directory keeps of a platform's display name or handle (its columns hold 200 characters).
NAME_MAX = 200

# Zero-width and bidirectional formatting characters: invisible, but they break matching and can
# make a name render backwards on the KJ's screen.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """``/name@bot args``: ``name`` lower-cased, ``bot`` as typed or None, ``args`` trimmed."""

    name: str
    bot: str | None
    args: str


def clean(text: str) -> str:
    """``text`` NFC-normalised, without invisible formatting characters, controls turned to spaces, trimmed."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())


def clean_name(name: str | None) -> str:
    """A display name or handle as stored and shown: ``clean``ed (no NULs or other controls, which
    PostgreSQL refuses in text) and at most ``NAME_MAX`` characters."""
    return clean(name or "")[:NAME_MAX].strip()


def addressed_to_bot(text: str, *, private: bool, bot_username: str | None = None,
                     mentions_bot: bool = False, replies_to_bot: bool = False) -> bool:
    """Whether a message is for the bot, so it may be stored at all (everything else is never kept).

    A private message always is. In a group only a command (not one addressed to another bot with
    ``/cmd@other``), a mention of the bot, or a reply to one of the bot's messages is; chatter between
    people is not read, not stored and not answered.
    """
    if private or replies_to_bot or mentions_bot:
        return True
    ours = bot_username.lstrip("@").casefold() if bot_username else None
    command = parse_command(clean(text[: 4 * MAX_MESSAGE]))
    if command is None:
        return ours is not None and re.search(rf"@{re.escape(ours)}\b", text.casefold()) is not None
    return not (command.bot and ours and command.bot.casefold() != ours)


def parse_command(text: str) -> ParsedCommand | None:
    """The command in a cleaned message starting with "/", or None if it is plain text."""
    if not text.startswith("/"):
        return None
    match = _COMMAND.match(text)
    if match is None:
        word = text.split()[0][1:33] if text.split() else ""
        return ParsedCommand(word.lower(), None, "")
    return ParsedCommand(match.group(1).lower(), match.group(2), (match.group(3) or "").strip())


def stage_name_problem(name: str) -> str | None:
    """Why ``name`` (already cleaned) cannot be a stage name, as a message key, or None when it can.

    ``name.too_long`` is said with ``max=STAGE_NAME_MAX``.
    """
    if not name:
        return "name.empty"
    if len(name) > STAGE_NAME_MAX:
        return "name.too_long"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in name):
        return "name.control"
    return None


def mention(text: str) -> str:
    """A person reference as typed (``@alice`` or ``alice``) without the "@"."""
    return text.strip().removeprefix("@").strip()
