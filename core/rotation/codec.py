"""JSON-safe encoding of events: ``event_to_dict`` / ``event_from_dict`` round-trip exactly.

Datetimes are ISO-8601 strings in UTC ending in ``Z``; ids are already strings; nested value
objects become objects; tuples become lists. The type name is the event class name, which is
therefore part of the stored format and must not be renamed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from core.rotation.events import EVENT_TYPES, Event
from core.rotation.settings import ShowSettings

JsonValue = Any
_BY_NAME: dict[str, type[Event]] = {cls.__name__: cls for cls in EVENT_TYPES}


class EventCodecError(ValueError):
    """A stored payload does not match the event type it claims to be."""


def event_to_dict(event: Event) -> tuple[str, dict[str, JsonValue]]:
    """Return ``(type_name, payload)`` where payload contains only JSON types."""
    payload = _encode(event)
    assert isinstance(payload, dict)
    return type(event).__name__, payload


def event_from_dict(type_name: str, payload: dict[str, JsonValue]) -> Event:
    """Rebuild the event ``event_to_dict`` produced; raises ``EventCodecError`` on unknown or bad data."""
    cls = _BY_NAME.get(type_name)
    if cls is None:
        raise EventCodecError(f"unknown event type {type_name!r}")
    try:
        event = _decoder(typing.cast(Any, cls))(payload)
    except (KeyError, TypeError, ValueError) as error:
        raise EventCodecError(f"bad {type_name} payload: {error}") from error
    return typing.cast(Event, event)


def settings_to_dict(settings: ShowSettings) -> dict[str, JsonValue]:
    """A show's settings as JSON types, as they appear inside ``ShowOpened`` and ``ShowSettingsChanged``."""
    payload = _encode(settings)
    assert isinstance(payload, dict)
    return payload


def settings_from_dict(payload: dict[str, JsonValue]) -> ShowSettings:
    """Settings ``settings_to_dict`` wrote; raises ``EventCodecError`` on bad data."""
    try:
        return typing.cast(ShowSettings, _decoder(ShowSettings)(payload))
    except (KeyError, TypeError, ValueError) as error:
        raise EventCodecError(f"bad settings: {error}") from error


def format_datetime(value: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` suffix; naive datetimes are refused."""
    if value.tzinfo is None:
        raise EventCodecError("naive datetimes cannot be stored")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(text: str) -> datetime:
    """Inverse of ``format_datetime``: an aware UTC datetime."""
    if not text.endswith("Z"):
        raise EventCodecError(f"datetime {text!r} must end in Z")
    return datetime.fromisoformat(text[:-1] + "+00:00").astimezone(UTC)


def _encode(value: object) -> JsonValue:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    return value


Decoder = Callable[[JsonValue], object]


@cache
def _decoder(hint: Any) -> Decoder:
    # Built once per type and cached: walking type hints per value made decoding ~10x slower.
    origin = typing.get_origin(hint)
    if origin is types.UnionType or origin is typing.Union:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _decoder(options[0])
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda value: tuple(item(v) for v in _list(value))
        parts = [_decoder(a) for a in args]
        return lambda value: tuple(d(v) for d, v in zip(parts, _list(value), strict=True))
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        return lambda value: _check_literal(value, allowed)
    if hint is datetime:
        return lambda value: parse_datetime(_exact(value, str))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if hint in (str, int, bool):
        return lambda value: _exact(value, hint)
    raise TypeError(f"no decoder for {hint!r}")


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _decoder(hints[f.name]), _has_default(f)) for f in dataclasses.fields(cls)]

    def decode(value: JsonValue) -> object:
        if not isinstance(value, dict):
            raise TypeError(f"{cls.__name__} must be an object")
        # A field added later with a default is absent from what was stored before it existed.
        return cls(**{name: decode_field(value[name]) for name, decode_field, optional in fields
                      if not optional or name in value})

    return decode


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING


def _exact(value: JsonValue, kind: type) -> JsonValue:
    # JSON has one number type and bool is an int: insist on the exact type so bad data fails here.
    if type(value) is not kind:
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _list(value: JsonValue) -> list[JsonValue]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return list(value)


def _check_literal(value: JsonValue, allowed: tuple[object, ...]) -> JsonValue:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {allowed}")
    return value
