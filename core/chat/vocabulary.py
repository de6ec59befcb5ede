"""The platform-neutral words every chat adapter translates into and out of (after errbot).

Inbound events are ``Said`` (a message) and ``Pressed`` (a button press); the bot answers with
``Reply`` values. Adapters hold no rules: they build these from platform updates and render replies.
"""

from __future__ import annotations

from dataclasses import dataclass

# Telegram's limit for callback_data; every Button.data the bot makes fits it.
MAX_BUTTON_DATA_BYTES = 64


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who writes to the bot: ``(platform, user_id)`` identifies them; ``name`` is their display name.

    ``username`` is the platform handle without "@", if they have one. ``is_bot`` marks other bots,
    whose messages are ignored.
    """

    platform: str
    user_id: str
    name: str
    username: str | None = None
    is_bot: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """The identity of this person across names and handles: ``(platform, user_id)``."""
        return (self.platform, self.user_id)


@dataclass(frozen=True, slots=True)
class Room:
    """Where a conversation happens: a group/channel or a private chat with the bot."""

    platform: str
    room_id: str
    private: bool

    @property
    def key(self) -> tuple[str, str]:
        """The identity of the room: ``(platform, room_id)``."""
        return (self.platform, self.room_id)


@dataclass(frozen=True, slots=True)
class Said:
    """A message ``text`` from ``person`` in ``room``.

    ``update_key`` is the platform's unique id of the update; the bot derives its command ids from
    it, so a redelivered update changes things once. An edited message is a new ``Said`` only when
    the adapter gives it a new ``update_key`` (Telegram's edited_message has its own update_id).
    """

    person: Person
    room: Room
    text: str
    update_key: str


@dataclass(frozen=True, slots=True)
class Pressed:
    """``person`` pressed a button whose opaque callback ``data`` the bot made earlier."""

    person: Person
    room: Room
    data: str
    update_key: str


ChatEvent = Said | Pressed


@dataclass(frozen=True, slots=True)
class Button:
    """A button to show under a reply; pressing it comes back as ``Pressed`` with ``data``."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode("utf-8")) > MAX_BUTTON_DATA_BYTES:
            raise ValueError(f"button data is at most {MAX_BUTTON_DATA_BYTES} bytes")


@dataclass(frozen=True, slots=True)
class Reply:
    """Text for the adapter to send.

    ``room`` is where to send it (None: privately to ``to_person``); ``to_person`` is who it answers
    (adapters may quote or mention them); ``ephemeral`` means only ``to_person`` needs to see it
    (Slack can show it privately; other platforms send it normally).
    """

    room: Room | None
    to_person: Person | None
    text: str
    buttons: tuple[Button, ...] = ()
    ephemeral: bool = False
    mention: bool = False
