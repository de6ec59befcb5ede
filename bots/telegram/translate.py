"""Telegram updates in, neutral chat events out: ``Said`` for text messages, ``Pressed`` for button presses."""

from __future__ import annotations

from telegram import Chat, Message, Update, User

from core.chat import ChatEvent, Person, Pressed, Room, Said, addressed_to_bot, clean_name
from core.delivery import PRESS

PLATFORM = "telegram"

# The update kinds the bot reads; the poller and the webhook ask Telegram for exactly these.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")


def person_of(user: User) -> Person:
    """The neutral ``Person`` for a Telegram user (identified by the numeric id, never the changeable handle).

    Names are cleaned here, where they enter: a NUL in a first name would otherwise be refused by
    PostgreSQL in every row that carries it.
    """
    return Person(PLATFORM, str(user.id), clean_name(user.full_name), clean_name(user.username) or None,
                  user.is_bot)


def room_of(chat: Chat) -> Room:
    """The neutral ``Room`` for a Telegram chat: private only for the one-to-one chat with the bot."""
    return Room(PLATFORM, str(chat.id), chat.type == Chat.PRIVATE)


def event_from_update(update: Update, bot_username: str | None = None) -> ChatEvent | None:
    """The chat event an update means, or None when the bot has nothing to read in it.

    Text messages and their edits become ``Said`` (an edit has its own update_id, so it is a new
    event); inline-button presses become ``Pressed``. Photos, joins, channel posts and messages our
    own bot sent (``bot_username``) are ignored, and so is group chatter not addressed to the bot
    (not a command, no mention of it, no reply to it): it must never be stored. Telegram's privacy
    mode filters most of that already, but not when the bot is a group admin.
    """
    key = str(update.update_id)
    query = update.callback_query
    if query is not None:
        if query.data is None:
            return None  # a game button, not one of ours
        chat = query.message.chat if query.message is not None else None
        # A press on an inline-mode message has no chat: answer the presser privately.
        room = room_of(chat) if chat is not None else Room(PLATFORM, str(query.from_user.id), True)
        return Pressed(person_of(query.from_user), room, query.data, key)
    message = update.message or update.edited_message
    if message is None or message.text is None or message.from_user is None:
        return None
    sender = message.from_user
    if bot_username and sender.is_bot and (sender.username or "").lower() == bot_username.lower().lstrip("@"):
        return None
    room = room_of(message.chat)
    if not addressed_to_bot(message.text, private=room.private, bot_username=bot_username,
                            mentions_bot=_mentions(message, bot_username),
                            replies_to_bot=_replies_to_bot(message, bot_username)):
        return None
    return Said(person_of(sender), room, message.text, key)


def _mentions(message: Message, bot_username: str | None) -> bool:
    if not bot_username:
        return False
    wanted = "@" + bot_username.lstrip("@").casefold()
    return any(text.casefold() == wanted for text in message.parse_entities(["mention"]).values())


def _replies_to_bot(message: Message, bot_username: str | None) -> bool:
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    if author is None or not author.is_bot:
        return False
    # Without our own username, any bot's message might be ours; a reply is short and rare enough.
    return not bot_username or (author.username or "").casefold() == bot_username.lstrip("@").casefold()


def context_of(update: Update) -> dict[str, str]:
    """What the reply path needs from the platform besides the event: the callback query to answer, if any
    (the delivery answers it, with the press's reply when only the presser needs it)."""
    if update.callback_query is not None:
        return {PRESS: update.callback_query.id}
    return {}
