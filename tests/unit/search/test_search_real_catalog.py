"""The six example queries of the spec against the real KaraFun catalog (47,768 songs)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.catalog.search import CatalogEntry, SearchIndex

CATALOG_CSV = Path(__file__).resolve().parents[3] / "data" / "karafun-catalog-2022.csv"


@pytest.fixture(scope="module")
def index_and_songs() -> tuple[SearchIndex, dict[str, tuple[str, str]]]:
    if not CATALOG_CSV.exists():
        pytest.skip("real catalog CSV not present")
    with CATALOG_CSV.open(encoding="utf-8", newline="") as handle:
        songs = {row["Id"]: (row["Title"], row["Artist"]) for row in csv.DictReader(handle, delimiter=";")}
    return SearchIndex(CatalogEntry(i, t, a) for i, (t, a) in songs.items()), songs


@pytest.mark.parametrize(
    ("query", "title", "artist"),
    [
        ("sweet caroline by neil diamond", "Sweet Caroline", "Neil Diamond"),
        ("stapleton whiskey", "Tennessee Whiskey", "Chris Stapleton"),
        ("liberee delivree", "Libérée, délivrée", "Frozen"),
        ("dont stop believin journey", "Don't Stop Believin'", "Journey"),
        ("bohemian rapsody", "Bohemian Rhapsody", "Queen"),
        ("queen bohemian", "Bohemian Rhapsody", "Queen"),
    ],
)
def test_spec_examples_come_first(
    index_and_songs: tuple[SearchIndex, dict[str, tuple[str, str]]], query: str, title: str, artist: str
) -> None:
    index, songs = index_and_songs
    hits = index.search(query, limit=5).hits
    assert hits
    assert songs[hits[0].song_id] == (title, artist), [songs[h.song_id] for h in hits]
