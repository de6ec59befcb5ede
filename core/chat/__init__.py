"""The platform-neutral conversation of the karaoke bots.

Adapters (Telegram, Slack, console) translate platform updates into ``Said``/``Pressed`` and call
``ChatBot.handle``, which answers with ``Reply`` values to render. Every rule lives here; chat-side
state (room bindings, KJs, stage names, button choices) goes through the ``ChatDirectory`` port.
"""

from core.chat.bot import ChatBot, SongLookup
from core.chat.directory import ChatDirectory, Choice, Reach
from core.chat.vocabulary import MAX_BUTTON_DATA_BYTES, Button, ChatEvent, Person, Pressed, Reply, Room, Said

__all__ = [
    "MAX_BUTTON_DATA_BYTES",
    "Button",
    "ChatBot",
    "ChatDirectory",
    "ChatEvent",
    "Choice",
    "Person",
    "Pressed",
    "Reach",
    "Reply",
    "Room",
    "Said",
    "SongLookup",
]
