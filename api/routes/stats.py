"""``/api/v1/stats``: the performances of every show summed up (admin only), read from the Performances view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import AdminDep
from api.deps import StatsDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError
from api.schemas import UtcTimestamp
from core.stats import BadWindow, Stats, window_from_text

router = APIRouter(prefix="/stats", tags=["stats"])

# A day, or a day and a time (seconds, fractions and an offset optional): what ``window_from_text`` reads.
# [0-9], not \d: other engines' \d and Python's differ on digits of other scripts.
_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|z|[+-][0-9]{2}:[0-9]{2})?)?$"
TOP = 10


class SongCountOut(BaseModel):
    song_id: str
    title: str
    artist: str
    count: int


class ArtistCountOut(BaseModel):
    artist: str
    count: int


class SingerCountOut(BaseModel):
    name: str
    count: int


class HourCountOut(BaseModel):
    hour: int = Field(ge=0, le=23, description="UTC hour of the day the songs started in")
    count: int


class StatsOut(BaseModel):
    """Counts of sung performances, except ``no_shows``; see each field."""

    from_: UtcTimestamp | None = Field(None, alias="from", description="The window's start (inclusive), if any")
    to: UtcTimestamp | None = Field(None, description="The window's end (exclusive), if any")
    shows: int = Field(description="Shows with at least one song sung in the window")
    performances: int = Field(description="Songs sung")
    singers: int = Field(description="Distinct people who sang")
    no_shows: int = Field(description="Called singers the KJ passed over")
    top_songs: list[SongCountOut]
    top_artists: list[ArtistCountOut]
    top_singers: list[SingerCountOut] = Field(description="By the name they last sang under; never an id")
    busiest_hours: list[HourCountOut] = Field(description="Busiest first; hours in UTC")
    average_wait_seconds: float | None = Field(description="From request to the mic; null when nothing was sung")
    no_show_rate: float | None = Field(description="no-shows / (sung + no-shows); null when neither happened")


def stats_out(stats: Stats) -> StatsOut:
    """The wire shape of ``stats``."""
    return StatsOut.model_validate({
        "from": stats.window.start, "to": stats.window.end, "shows": stats.shows,
        "performances": stats.performances, "singers": stats.singers, "no_shows": stats.no_shows,
        "top_songs": [SongCountOut(song_id=s.song_id, title=s.title, artist=s.artist, count=s.count)
                      for s in stats.top_songs],
        "top_artists": [ArtistCountOut(artist=a.artist, count=a.count) for a in stats.top_artists],
        "top_singers": [SingerCountOut(name=s.name, count=s.count) for s in stats.top_singers],
        "busiest_hours": [HourCountOut(hour=h.hour, count=h.count) for h in stats.busiest_hours],
        "average_wait_seconds": stats.average_wait_seconds,
        "no_show_rate": stats.no_show_rate,
    })




@router.get("", dependencies=[AdminDep], response_model=StatsOut, response_model_by_alias=True,
            responses={**ERROR_RESPONSES, **AUTH_RESPONSES})
async def get_stats(
    stats: StatsDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40, pattern=_MOMENT,
                                       description="From this day (2026-11-01) or time (UTC unless it says)")] = None,
    to: Annotated[str | None, Query(max_length=40, pattern=_MOMENT,
                                    description="Through this day, or up to this time")] = None,
) -> StatsOut:
    """The performances of every show started in the window, summed up: shows, songs sung, singers, the top
    songs, artists and singers, the busiest hours, the average wait and the no-show rate. 400 for a ``from``
    or ``to`` that is no date, or a ``from`` after ``to``."""
    try:
        window = window_from_text(from_, to)
    except BadWindow as bad:
        raise ApiError(400, "validation-error", "The window is not valid.",
                       field_errors=[(bad.field, bad.reason)]) from None
    return stats_out(await stats.summary(window, top=TOP))
