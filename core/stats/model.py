"""What the stats say: a window of time, and the counts of the performances sung in it.

Every count is of *sung* performances (the fold's sung turns), except ``no_shows``. A window is half-open,
``start <= started_at < end``, either side open when None; hours are the UTC hour a song started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Window:
    """``start <= started_at < end``; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError("a window's start is after its end")

    def holds(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in the window."""
        return (self.start is None or self.start <= moment) and (self.end is None or moment < self.end)


ALL_TIME = Window()


@dataclass(frozen=True, slots=True)
class SongCount:
    """A song and how often it was sung (its title and artist as last sung)."""

    song_id: str
    title: str
    artist: str
    count: int


@dataclass(frozen=True, slots=True)
class ArtistCount:
    """An artist (as the catalog spells them) and how often their songs were sung."""

    artist: str
    count: int


@dataclass(frozen=True, slots=True)
class SingerCount:
    """A singer by the name they last sang under (never an id) and how often they sang."""

    name: str
    count: int


@dataclass(frozen=True, slots=True)
class HourCount:
    """A UTC hour of the day (0..23) and how many songs started in it."""

    hour: int
    count: int


@dataclass(frozen=True, slots=True)
class Stats:
    """The performances of a window, summed up.

    ``shows``: shows with at least one song sung in the window; ``performances``: songs sung; ``singers``:
    distinct people who sang (a singer the log knows no person for counts once per show);
    ``average_wait_seconds``: from request to the mic, over the songs sung (None without any);
    ``no_show_rate``: no-shows / (sung + no-shows) (None without either). The top lists are the most sung
    first, ties by song id, artist, singer in that order; ``busiest_hours`` the busiest first, ties by hour.
    """

    window: Window
    shows: int
    performances: int
    singers: int
    no_shows: int
    top_songs: tuple[SongCount, ...]
    top_artists: tuple[ArtistCount, ...]
    top_singers: tuple[SingerCount, ...]
    busiest_hours: tuple[HourCount, ...]
    average_wait_seconds: float | None
    no_show_rate: float | None


def average_wait(total_seconds: int, sung: int) -> float | None:
    """The mean wait, to a tenth of a second; None when nothing was sung."""
    return round(total_seconds / sung, 1) if sung else None


def no_show_rate(no_shows: int, sung: int) -> float | None:
    """No-shows over the turns that were called and either sung or missed, to four places; None for none."""
    called = no_shows + sung
    return round(no_shows / called, 4) if called else None


class BadWindow(ValueError):
    """A window asked for in words that do not make one: ``field`` says which side (``from``, ``to``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _moment(text: str, field: str, *, end: bool) -> datetime:
    try:
        if len(text) == 10:  # a day: from its start, or through its end
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise BadWindow(field, "not a date (2026-11-28) or a date and time (2026-11-28T21:00:00Z)") from None
    # Without an offset, a time is UTC, as every time this API gives.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window_from_text(start: str | None, end: str | None) -> Window:
    """The window ``from``/``to`` name: a day (``to``'s day is included) or an ISO 8601 time (UTC when it
    names no offset); either may be missing. Raises ``BadWindow`` for text that is neither, or when ``from``
    comes after ``to``."""
    first = _moment(start, "from", end=False) if start else None
    last = _moment(end, "to", end=True) if end else None
    # ``to`` as a day ends where the next begins: from that moment on, ``from`` is after it.
    if first is not None and last is not None and (first >= last if end and len(end) == 10 else first > last):
        raise BadWindow("from", "comes after to")
    return Window(first, last)
