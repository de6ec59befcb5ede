"""Search learns what is popular here: of matches that score exactly the same, the song this deployment's singers
sang more comes first. It only breaks ties: a better match is never passed, no score changes, and whether the
first answer is taken without asking stays as it was."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from core.catalog import Song
from core.catalog.search import PICKS_REFRESH_SECONDS, POPULAR_SONGS, CatalogEntry, CatalogSearch, SearchIndex
from tests.unit.fakes import InMemorySongStore

NOW = datetime(2026, 11, 28, tzinfo=UTC)
SONGS = [
    ("africa", "Africa", "Toto", 1982), ("rosanna", "Rosanna", "Toto", 1982), ("line", "Hold the Line", "Toto", 1978),
    ("zombie", "Zombie", "The Cranberries", 1994), ("linger", "Linger", "The Cranberries", 1993),
    ("dreams", "Dreams", "The Cranberries", 1993), ("dreams-fm", "Dreams", "Fleetwood Mac", 1977),
    ("queen", "Dancing Queen", "ABBA", 1976), ("waterloo", "Waterloo", "ABBA", 1974),
    ("mia", "Mamma Mia", "ABBA", 1975), ("hello", "Hello", "Adele", 2015), ("hello-lr", "Hello", "Lionel Richie", 1984),
]


def index() -> SearchIndex:
    return SearchIndex(CatalogEntry(i, t, a, y, None) for i, t, a, y in SONGS)


def ids(answer: object) -> list[str]:
    return [hit.song_id for hit in answer.hits]  # type: ignore[attr-defined]


def test_of_an_artists_songs_the_one_sung_here_most_comes_first() -> None:
    plain = index().search("toto")
    assert ids(plain) == ["africa", "rosanna", "line"]  # equal scores: in the order they were added
    assert len({hit.score for hit in plain.hits}) == 1
    assert ids(index().search("toto", popular={"line": 7, "rosanna": 2})) == ["line", "rosanna", "africa"]
    assert ids(index().search("cranberries", popular={"dreams": 1})) == ["dreams", "zombie", "linger"]


def test_a_better_match_is_never_passed_by_a_more_sung_song() -> None:
    crowd = {"rosanna": 10_000, "line": 5_000, "dreams-fm": 10_000, "waterloo": 9_000}
    for query in ("africa", "africa toto", "afrika", "dreams cranberries", "dancing queen abba", "mama mia"):
        plain, popular = index().search(query), index().search(query, popular=crowd)
        assert ids(popular)[0] == ids(plain)[0], query
        assert popular.confident == plain.confident, query


def test_with_any_counts_only_the_order_among_equal_scores_changes() -> None:
    rng = random.Random(16)
    queries = ["toto", "abba", "the cranberries", "hello", "dreams", "queen", "line", "mia", "zzz", "", "🎤"]
    for _ in range(50):
        crowd = {song_id: rng.randint(0, 5) for song_id, *_ in SONGS if rng.random() < 0.6}
        for query in queries:
            plain, popular = index().search(query), index().search(query, popular=crowd)
            assert [h.score for h in popular.hits] == [h.score for h in plain.hits], query
            for score in {h.score for h in plain.hits}:
                assert {h.song_id for h in plain.hits if h.score == score} == {
                    h.song_id for h in popular.hits if h.score == score}, query
            assert popular.confident == plain.confident, query


def test_versions_of_one_title_still_go_by_what_was_picked_then_age() -> None:
    # "hello" names a title with two versions: picks decide, then the older; being sung more does not.
    assert ids(index().search("hello", popular={"hello": 50})) == ["hello-lr", "hello"]
    assert ids(index().search("hello", picks={"hello": 1}, popular={"hello-lr": 50})) == ["hello", "hello-lr"]


class Sung:
    """A hand-written ``Popularity``: counts set by the test; counts how often it was read."""

    def __init__(self, counts: Mapping[str, int] | None = None) -> None:
        self.counts = dict(counts or {})
        self.reads = 0
        self.limits: list[int] = []
        self.broken = False

    async def popularity(self, limit: int) -> Mapping[str, int]:
        self.reads += 1
        self.limits.append(limit)
        if self.broken:
            raise ConnectionError("database is away")
        return dict(self.counts)


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def store() -> InMemorySongStore:
    songs = InMemorySongStore()
    for song_id, title, artist, year in SONGS:
        songs.songs[song_id] = Song(song_id, title, artist, None, None, NOW, NOW, year=year)
    return songs


async def test_the_counts_are_read_with_the_index_then_again_while_following(caplog: pytest.LogCaptureFixture) -> None:
    clock, sung = Ticking(), Sung({"line": 3})
    search = CatalogSearch(store(), monotonic=clock, popular=sung)
    await search.build()
    assert (sung.reads, sung.limits) == (1, [POPULAR_SONGS])
    assert (await search.search("toto")).items[0].song.song_id == "line"
    sung.counts = {"rosanna": 4, "line": 0}
    await search.follow()
    assert sung.reads == 1, "not on every poll"
    clock.now = PICKS_REFRESH_SECONDS
    await search.follow()
    assert sung.reads == 2
    assert search.popular == {"rosanna": 4}
    assert (await search.search("toto")).items[0].song.song_id == "rosanna"
    sung.broken = True
    clock.now = 2 * PICKS_REFRESH_SECONDS
    await search.follow()
    assert "could not read what singers sang before" in caplog.text
    assert (await search.search("toto")).items[0].song.song_id == "rosanna"
