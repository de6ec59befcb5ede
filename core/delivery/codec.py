"""JSON-safe forms of chat events and replies, for the inbox and outbox tables."""

from __future__ import annotations

from typing import Any

from core.chat import Button, ChatEvent, Person, Pressed, Reply, Room, Said


class ChatCodecError(ValueError):
    """A stored event or reply cannot be read back."""


def _person(p: Person) -> dict[str, Any]:
    return {"platform": p.platform, "user_id": p.user_id, "name": p.name, "username": p.username, "is_bot": p.is_bot}


def _room(r: Room) -> dict[str, Any]:
    return {"platform": r.platform, "room_id": r.room_id, "private": r.private}


def event_to_json(event: ChatEvent) -> dict[str, Any]:
    """A dict of JSON types that ``event_from_json`` turns back into an equal event."""
    base = {"person": _person(event.person), "room": _room(event.room), "update_key": event.update_key}
    if isinstance(event, Said):
        return {"kind": "said", "text": event.text, **base}
    return {"kind": "pressed", "data": event.data, **base}


def event_from_json(data: dict[str, Any]) -> ChatEvent:
    """The event ``event_to_json`` wrote; ``ChatCodecError`` for anything else."""
    try:
        person, room = Person(**data["person"]), Room(**data["room"])
        if data["kind"] == "said":
            return Said(person, room, str(data["text"]), str(data["update_key"]))
        if data["kind"] == "pressed":
            return Pressed(person, room, str(data["data"]), str(data["update_key"]))
    except (KeyError, TypeError) as error:
        raise ChatCodecError(f"unreadable event: {error}") from error
    raise ChatCodecError(f"unknown event kind {data.get('kind')!r}")


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """A dict of JSON types that ``reply_from_json`` turns back into an equal reply."""
    return {
        "room": _room(reply.room) if reply.room else None,
        "to_person": _person(reply.to_person) if reply.to_person else None,
        "text": reply.text,
        "buttons": [{"label": b.label, "data": b.data} for b in reply.buttons],
        "ephemeral": reply.ephemeral,
        "mention": reply.mention,
    }


def reply_from_json(data: dict[str, Any]) -> Reply:
    """The reply ``reply_to_json`` wrote; ``ChatCodecError`` for anything else."""
    try:
        return Reply(
            room=Room(**data["room"]) if data["room"] else None,
            to_person=Person(**data["to_person"]) if data["to_person"] else None,
            text=str(data["text"]),
            buttons=tuple(Button(str(b["label"]), str(b["data"])) for b in data["buttons"]),
            ephemeral=bool(data["ephemeral"]),
            mention=bool(data.get("mention", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ChatCodecError(f"unreadable reply: {error}") from error
