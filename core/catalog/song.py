"""What a song in the catalog is, and the rules its fields obey (one place for every limit).

The catalog rules live here so the API, the importers and the bots all clean
and check song text the same way.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

TEXT_MAX: Final = 200
DURATION_MAX: Final = 86_400
BUCKET_MAX: Final = 200
KEY_MAX: Final = 1024
EXTERNAL_ID_MAX: Final = 200
TAG_MAX: Final = 60
TAGS_MAX: Final = 30
LANGUAGE_MAX: Final = 100
YEAR_MIN: Final = 1000
YEAR_MAX: Final = 2999


class CatalogError(ValueError):
    """A song field broke a catalog rule; ``field`` names it for the caller."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MediaFile:
    """Where the karaoke media of a song is stored (an object store bucket and key)."""

    bucket: str
    key: str


@dataclass(frozen=True, slots=True)
class SongDraft:
    """The writable fields of a song, already cleaned and checked."""

    title: str
    artist: str
    duration: int | None = None
    media_file: MediaFile | None = None
    year: int | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    duet: bool = False
    explicit: bool = False
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Song:
    """A song of the catalog as stored."""

    song_id: str
    title: str
    artist: str
    duration: int | None
    media_file: MediaFile | None
    created_at: datetime
    updated_at: datetime
    year: int | None = None
    language: str | None = None
    tags: tuple[str, ...] = field(default=())
    duet: bool = False
    explicit: bool = False
    external_id: str | None = None

    @classmethod
    def from_draft(cls, song_id: str, draft: SongDraft, *, created_at: datetime, updated_at: datetime) -> Song:
        """A stored song made of ``draft`` with the given id and times."""
        return cls(
            song_id=song_id,
            title=draft.title,
            artist=draft.artist,
            duration=draft.duration,
            media_file=draft.media_file,
            created_at=created_at,
            updated_at=updated_at,
            year=draft.year,
            language=draft.language,
            tags=draft.tags,
            duet=draft.duet,
            explicit=draft.explicit,
            external_id=draft.external_id,
        )

    def draft(self) -> SongDraft:
        """The writable fields of this song, for comparing with an incoming draft."""
        return SongDraft(
            title=self.title,
            artist=self.artist,
            duration=self.duration,
            media_file=self.media_file,
            year=self.year,
            language=self.language,
            tags=self.tags,
            duet=self.duet,
            explicit=self.explicit,
            external_id=self.external_id,
        )


def clean_text(value: str) -> str:
    """Return ``value`` NFC-normalised, trimmed, with every run of inner whitespace made one space."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def checked_text(field_name: str, value: str, *, maximum: int = TEXT_MAX) -> str:
    """Clean ``value`` and promise 1..``maximum`` characters, else raise ``CatalogError``."""
    cleaned = clean_text(value)
    if not cleaned:
        raise CatalogError(field_name, "must not be empty")
    if has_control_characters(cleaned):
        raise CatalogError(field_name, "must not contain control characters")
    if len(cleaned) > maximum:
        raise CatalogError(field_name, f"must be at most {maximum} characters")
    return cleaned


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds control characters or lone surrogates, which no database stores safely."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def checked_duration(value: int | None) -> int | None:
    """Promise a duration in whole seconds within 0..86400, or ``None`` when unknown."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogError("duration", "must be an integer number of seconds")
    if not 0 <= value <= DURATION_MAX:
        raise CatalogError("duration", f"must be between 0 and {DURATION_MAX}")
    return value


def checked_media_file(bucket: str | None, key: str | None) -> MediaFile | None:
    """Promise both bucket and key, or neither; each within its length limit."""
    if bucket is None and key is None:
        return None
    if bucket is None or key is None:
        raise CatalogError("media_file", "bucket and key must be given together")
    for name, value, maximum in (("bucket", bucket, BUCKET_MAX), ("key", key, KEY_MAX)):
        if not 1 <= len(value) <= maximum:
            raise CatalogError(f"media_file.{name}", f"must be 1..{maximum} characters")
        if has_control_characters(value):
            raise CatalogError(f"media_file.{name}", "must not contain control characters")
    return MediaFile(bucket=bucket, key=key)


def checked_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Clean tags, drop empty and repeated ones (keeping order), and bound their number and size."""
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = clean_text(tag)
        if not cleaned:
            continue
        if len(cleaned) > TAG_MAX:
            raise CatalogError("tags", f"each tag must be at most {TAG_MAX} characters")
        if has_control_characters(cleaned):
            raise CatalogError("tags", "must not contain control characters")
        seen.setdefault(cleaned, None)
    if len(seen) > TAGS_MAX:
        raise CatalogError("tags", f"at most {TAGS_MAX} tags")
    return tuple(seen)


def checked_year(value: int | None) -> int | None:
    """Promise a plausible recording year (``YEAR_MIN``..``YEAR_MAX``) or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not YEAR_MIN <= value <= YEAR_MAX:
        raise CatalogError("year", f"must be a year between {YEAR_MIN} and {YEAR_MAX}")
    return value


def match_key(title: str, artist: str) -> str:
    """A key equal for two songs whose title and artist differ only in case, spacing or Unicode form.

    Importers use it to recognise a song they have seen before when the source has no id.
    """
    def fold(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return f"{fold(artist)}\x1f{fold(title)}"


def sort_key(text: str) -> str:
    """The case-folded form used for case-insensitive sorting and contains-filtering."""
    return unicodedata.normalize("NFKC", text).casefold()
