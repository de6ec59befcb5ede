"""Reading catalog sources: the KaraFun export and plain CSV files.

Parsing is pure: it takes lines of text and yields ``ImportRow`` values, one per
data row, each either a checked draft or the reason it was rejected.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from core.catalog.service import ImportRow
from core.catalog.song import (
    EXTERNAL_ID_MAX,
    CatalogError,
    SongDraft,
    checked_duration,
    checked_tags,
    checked_text,
    checked_year,
)

KARAFUN_HEADER = ("id", "title", "artist", "year", "duo", "explicit", "date added", "styles", "languages")

# Header names we accept for each field, compared case-insensitively.
_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "song", "song title", "name"),
    "artist": ("artist", "artists", "singer", "performer", "band"),
    "duration": ("duration", "length", "seconds", "duration_seconds"),
    "year": ("year",),
    "language": ("language", "languages", "lang"),
    "tags": ("tags", "styles", "genre", "genres", "style"),
    "duet": ("duet", "duo"),
    "explicit": ("explicit",),
    "external_id": ("external_id", "id", "source_id"),
}

_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_TRUE = {"1", "true", "yes", "y", "x"}
_FALSE = {"0", "false", "no", "n", ""}


class SourceError(ValueError):
    """The source as a whole cannot be read (no header, no title or artist column)."""


def detect_delimiter(header_line: str) -> str:
    """``;`` when the header has more semicolons than commas, else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_catalog(lines: Iterable[str]) -> Iterator[ImportRow]:
    """Yield one ``ImportRow`` per data row of a KaraFun export or a CSV with title and artist columns.

    Row numbers count the header as row 1, as a spreadsheet shows them. A KaraFun
    export is recognised by its header, and its ``Id`` becomes the external id
    ``karafun:<Id>``; a plain CSV's ``id`` column is used as given.
    Raises ``SourceError`` before yielding anything if the header lacks title or artist.
    """
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        raise SourceError("the file is empty")
    first = first.lstrip("\ufeff")
    delimiter = detect_delimiter(first)
    header = [h.strip().strip('"').strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]
    columns = _map_columns(header)
    if "title" not in columns or "artist" not in columns:
        raise SourceError("the header must name a title column and an artist column")
    karafun = tuple(header[: len(KARAFUN_HEADER)]) == KARAFUN_HEADER
    reader = csv.reader(iterator, delimiter=delimiter)
    for row_number, fields in enumerate(reader, start=2):
        if not any(field.strip() for field in fields):
            continue
        try:
            draft = _draft(fields, columns, karafun=karafun)
        except CatalogError as error:
            yield ImportRow(f"row {row_number}", None, f"{error.field} {error.reason}")
        else:
            yield ImportRow(f"row {row_number}", draft)


def _map_columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for field, aliases in _ALIASES.items():
        for index, name in enumerate(header):
            if name in aliases:
                columns[field] = index
                break
    return columns


def _draft(fields: list[str], columns: dict[str, int], *, karafun: bool) -> SongDraft:
    def get(name: str) -> str | None:
        index = columns.get(name)
        if index is None or index >= len(fields):
            return None
        return fields[index].strip()

    external = get("external_id") or None
    if external and karafun:
        external = f"karafun:{external}"
    if external and len(external) > EXTERNAL_ID_MAX:
        raise CatalogError("external_id", f"must be at most {EXTERNAL_ID_MAX} characters")
    languages = [part.strip() for part in (get("language") or "").split(",") if part.strip()]
    return SongDraft(
        title=checked_text("title", get("title") or ""),
        artist=checked_text("artist", get("artist") or ""),
        duration=checked_duration(_duration(get("duration"))),
        year=checked_year(_int("year", get("year"))),
        language=checked_text("language", ", ".join(languages), maximum=100) if languages else None,
        tags=checked_tags([part for part in (get("tags") or "").split(",")]),
        duet=_bool("duet", get("duet")),
        explicit=_bool("explicit", get("explicit")),
        external_id=external,
    )


def _int(field: str, value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise CatalogError(field, f"is not a whole number: {value[:40]!r}") from None


def _duration(value: str | None) -> int | None:
    if not value:
        return None
    match = _DURATION.match(value)
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return _int("duration", value)


def _bool(field: str, value: str | None) -> bool:
    folded = (value or "").lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CatalogError(field, f"is not yes/no: {value[:40]!r}" if value else "is not yes/no")
