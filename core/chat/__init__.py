"""The platform-neutral conversation of the karaoke bots.

Adapters (Telegram, Slack, console) translate platform updates into ``Said``/``Pressed`` and call
``ChatBot.handle``, which answers with ``Reply`` values to render. Every rule lives here:

- ``vocabulary``: the words adapters translate into and out of (``Person``, ``Room``, ``Said``, ``Pressed``,
  ``Reply``, ``Button``).
- ``bot``: ``ChatBot``, routing each event; ``routing``: the command table and who may run each command.
- ``singer``, ``kj``, ``presses``: the singers' commands, the KJs' commands, what buttons do.
- ``steps``: what those share; ``buttons``: making buttons (also for the reminders).
- ``messages``: every sentence the bot says, keyed (``Messages``; translating is a data change).
- ``directory``: the ``ChatDirectory`` port (rooms bound to shows, KJs, people, stage names, button
  choices); ``ports``: the other ports (``SongLookup``, ``Confirmations``).
- ``opening``: who may open a show (the operator's allowlist, KJ invites redeemed with ``/redeem``) and
  how many shows may be open; the ``KjRegistry`` port stores invites and the KJs who redeemed them.
- ``parsing``: reading what people type.
"""

from core.chat.bot import ChatBot
from core.chat.buttons import ButtonMaker, ButtonOption
from core.chat.directory import ChatDirectory, Choice, Reach
from core.chat.messages import EN, Messages
from core.chat.opening import (
    KjRegistry,
    OpeningRules,
    Redeemed,
    hash_invite_code,
    make_invite,
    new_invite_code,
    parse_allowlist,
)
from core.chat.parsing import addressed_to_bot, clean_name
from core.chat.ports import Confirmations, SongLookup
from core.chat.routing import COMMAND_NAMES
from core.chat.vocabulary import MAX_BUTTON_DATA_BYTES, Button, ChatEvent, Person, Pressed, Reply, Room, Said

__all__ = [
    "COMMAND_NAMES",
    "EN",
    "MAX_BUTTON_DATA_BYTES",
    "Button",
    "ButtonMaker",
    "ButtonOption",
    "ChatBot",
    "ChatDirectory",
    "ChatEvent",
    "Choice",
    "Confirmations",
    "KjRegistry",
    "Messages",
    "OpeningRules",
    "Person",
    "Pressed",
    "Reach",
    "Redeemed",
    "Reply",
    "Room",
    "Said",
    "SongLookup",
    "addressed_to_bot",
    "clean_name",
    "hash_invite_code",
    "make_invite",
    "new_invite_code",
    "parse_allowlist",
]
