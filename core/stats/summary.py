"""The stats computed from performance rows in memory: what a database's answer is held to, and how a
process without a database answers (a few shows' worth)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from core.projections import Performance
from core.stats.model import (
    ArtistCount,
    HourCount,
    SingerCount,
    SongCount,
    Stats,
    Window,
    average_wait,
    no_show_rate,
)

SUNG = "sung"
NO_SHOW = "no-show"


def singer_key(p: Performance) -> str:
    """Who sang, for counting: ``p:`` their person, else (no person known, or forgotten) ``s:`` the show's singer
    (singer ids are unique across shows)."""
    return f"p:{p.person_id}" if p.person_id is not None else f"s:{p.singer_id}"


def _latest(p: Performance) -> tuple[object, ...]:
    return (p.started_at, p.show_id, p.ordinal)


@dataclass(slots=True)
class _Named:
    count: int
    latest: Performance


def _top(named: dict[str, _Named], limit: int) -> list[tuple[str, _Named]]:
    return sorted(named.items(), key=lambda item: (-item[1].count, item[0]))[:limit]


def _tally(named: dict[str, _Named], key: str, p: Performance) -> None:
    found = named.get(key)
    if found is None:
        named[key] = _Named(1, p)
    else:
        found.count += 1
        if _latest(p) > _latest(found.latest):
            found.latest = p


def summarize(rows: Iterable[Performance], window: Window, *, top: int = 10) -> Stats:
    """The stats of ``rows`` started in ``window`` (see ``Stats``), the top lists at most ``top`` long; songs
    and singers are named as they were last sung, in the window or not."""
    rows = list(rows)
    names: dict[str, _Named] = {}
    for p in rows:
        if p.outcome == SUNG:
            _tally(names, f"song:{p.song_id}", p)
            _tally(names, f"singer:{singer_key(p)}", p)
    songs: dict[str, _Named] = {}
    singers: dict[str, _Named] = {}
    artists: Counter[str] = Counter()
    hours: Counter[int] = Counter()
    shows: set[str] = set()
    sung = no_shows = waited = 0
    for p in rows:
        if not window.holds(p.started_at):
            continue
        if p.outcome == NO_SHOW:
            no_shows += 1
        if p.outcome != SUNG:
            continue
        sung += 1
        waited += p.wait_seconds
        shows.add(p.show_id)
        artists[p.artist] += 1
        hours[p.started_at.hour] += 1
        _tally(songs, p.song_id, p)
        _tally(singers, singer_key(p), p)
    return Stats(
        window=window,
        shows=len(shows),
        performances=sung,
        singers=len(singers),
        no_shows=no_shows,
        top_songs=tuple(SongCount(song_id, names[f"song:{song_id}"].latest.title,
                                  names[f"song:{song_id}"].latest.artist, n.count) for song_id, n in _top(songs, top)),
        top_artists=tuple(ArtistCount(a, c) for a, c in sorted(artists.items(), key=lambda i: (-i[1], i[0]))[:top]),
        top_singers=tuple(SingerCount(names[f"singer:{key}"].latest.singer_name, n.count)
                          for key, n in _top(singers, top)),
        busiest_hours=tuple(HourCount(h, c) for h, c in sorted(hours.items(), key=lambda i: (-i[1], i[0]))),
        average_wait_seconds=average_wait(waited, sung),
        no_show_rate=no_show_rate(no_shows, sung),
    )


def top_songs(rows: Iterable[Performance], *, show_id: str | None = None, limit: int = 5) -> list[SongCount]:
    """The songs sung most (in ``show_id`` only, when given), as ``summarize`` ranks and names them."""
    rows = list(rows)
    names: dict[str, _Named] = {}
    songs: dict[str, _Named] = {}
    for p in rows:
        if p.outcome == SUNG:
            _tally(names, p.song_id, p)
            if show_id is None or p.show_id == show_id:
                _tally(songs, p.song_id, p)
    return [SongCount(song_id, names[song_id].latest.title, names[song_id].latest.artist, n.count)
            for song_id, n in _top(songs, limit)]


def popularity(rows: Iterable[Performance]) -> dict[str, int]:
    """song_id → how many times it was sung."""
    counts: Counter[str] = Counter(p.song_id for p in rows if p.outcome == SUNG)
    return dict(counts)


def sung_by(rows: Iterable[Performance], person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
    """The person's sung performances outside ``except_show``, one per song (its latest), the latest first."""
    latest: dict[str, Performance] = {}
    for p in rows:
        if p.person_id != person_id or p.outcome != SUNG or p.show_id == except_show:
            continue
        known = latest.get(p.song_id)
        if known is None or _order(p) > _order(known):
            latest[p.song_id] = p
    return sorted(latest.values(), key=_order, reverse=True)[:limit]


def sung_recently(rows: Iterable[Performance], person_id: str, *, except_show: str | None,
                  limit: int) -> list[Performance]:
    """The person's sung performances outside ``except_show``, the latest first."""
    theirs = [p for p in rows if p.person_id == person_id and p.outcome == SUNG and p.show_id != except_show]
    return sorted(theirs, key=_order, reverse=True)[:limit]


def _order(p: Performance) -> tuple[object, ...]:
    return (p.finished_at, p.show_id, p.ordinal)
