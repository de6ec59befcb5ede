"""Wire shapes shared by the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema


def utc_z(moment: datetime) -> str:
    """ISO 8601 in UTC ending in ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Which page, from 1")]
"""The ``page`` of a paged listing."""

UtcTimestamp = Annotated[
    datetime,
    PlainSerializer(utc_z, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _whole(value: object) -> object:
    # JSON Schema counts 8.0 as an integer, so a client may send it for one; 8.5 and "8" stay refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WHOLE = BeforeValidator(_whole)
"""Put last in ``Annotated[StrictInt, Field(ge=…, le=…), WHOLE]``: a JSON integer as JSON Schema means it
(``8`` or ``8.0``, never ``8.5``, ``"8"`` or ``true``), its bounds still in the schema."""


# What Python's str.split() and str.strip() treat as whitespace, spelled out so the schema's regex and the
# validators agree (``\s`` differs between regex engines).
SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Control characters (Unicode Cc) other than whitespace: refused even inside a name (whitespace ones are
# collapsed to a space first). Lone surrogates are refused too but not named: a UTF-8 body can only carry them
# as \ud800 escapes, and not every regex engine can spell them.
CONTROL = r"\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
_ANY_CONTROL = r"\x00-\x1f\x7f-\x9f"

_WORD_CHARACTER = rf"[^{SPACE}{CONTROL}]"
_SPACE_CHARACTER = rf"[{SPACE}]"


def name_pattern(maximum: int) -> str:
    """The regex of a name or title ``core.catalog.checked_text`` takes: 1..``maximum`` characters once trimmed
    and each inner run of whitespace made one space, and no control characters.

    Each counted unit is a character that is not whitespace, or a whole run of whitespace before one.
    """
    unit = rf"(?:{_SPACE_CHARACTER}+(?={_WORD_CHARACTER})|{_WORD_CHARACTER})"
    return rf"^{_SPACE_CHARACTER}*{unit}{{1,{maximum}}}{_SPACE_CHARACTER}*$"


# (?!\n) because Python's $ also matches before a final newline (ECMA's does not), and a newline is a control.
NO_CONTROL_PATTERN = rf"^[^{_ANY_CONTROL}]*(?!\n)$"
"""Text without control characters (whitespace ones included)."""
NOT_BLANK_PATTERN = rf"[^{SPACE}]"
"""Text with something besides whitespace in it."""


def name_field(maximum: int, **extra: Any) -> Any:
    """A required name: ``name_pattern(maximum)`` in the schema (the validator checks the same)."""
    return Field(min_length=1, json_schema_extra={"pattern": name_pattern(maximum)}, **extra)


def name_text(maximum: int) -> Any:
    """``Annotated[str, name_text(n)] | None``: an optional name of at most ``maximum`` characters as sent,
    its rules on the string itself in the schema."""
    return Field(min_length=1, max_length=maximum, json_schema_extra={"pattern": name_pattern(maximum)})
