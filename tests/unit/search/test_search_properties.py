"""Properties that hold for any text at all: no crash, bounded answers, stable folding."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.catalog.search import CatalogEntry, SearchIndex, normalize, normalize_query

INDEX = SearchIndex(
    [
        CatalogEntry("1", "Bohemian Rhapsody", "Queen"),
        CatalogEntry("2", "Libérée, délivrée", "Frozen"),
        CatalogEntry("3", "Ya Soshla S Uma (Я сошла с ума)", "t.A.T.u."),
        CatalogEntry("4", "Gurenge (紅蓮華)", "LiSA"),
        CatalogEntry("5", "Ça plane pour moi", "Plastic Bertrand"),
        CatalogEntry("6", "Sweet Caroline", "Neil Diamond"),
        CatalogEntry("7", "Tennessee Whiskey", "Chris Stapleton"),
    ]
)

ANY_TEXT = st.text() | st.text(min_size=2_000, max_size=12_000) | st.text(alphabet="aéeüu Яя紅蓮&'!", max_size=50)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ANY_TEXT)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert normalize_query(normalize_query(text)) == normalize_query(text)


@FAST
@given(ANY_TEXT)
def test_normal_forms_of_the_same_text_fold_the_same(text: str) -> None:
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(unicodedata.normalize("NFC", text))


@FAST
@given(ANY_TEXT, st.integers(min_value=-1, max_value=20))
def test_search_never_raises_and_stays_bounded(text: str, limit: int) -> None:
    answer = INDEX.search(text, limit=limit)
    assert len(answer.hits) <= max(limit, 0)
    assert all(0.0 <= hit.score <= 100.0 for hit in answer.hits)
    assert len({hit.song_id for hit in answer.hits}) == len(answer.hits)
    if not answer.hits:
        assert not answer.confident


@FAST
@given(ANY_TEXT)
def test_normal_forms_of_a_query_give_the_same_answer(text: str) -> None:
    assert INDEX.search(unicodedata.normalize("NFD", text)) == INDEX.search(unicodedata.normalize("NFC", text))


@FAST
@given(st.lists(st.tuples(st.sampled_from("abcde"), st.text(max_size=30), st.text(max_size=30)), max_size=30))
def test_any_sequence_of_edits_leaves_a_searchable_index(edits: list[tuple[str, str, str]]) -> None:
    index = SearchIndex()
    expected: dict[str, tuple[str, str]] = {}
    for song_id, title, artist in edits:
        if title.startswith("-"):
            index.remove(song_id)
            expected.pop(song_id, None)
        else:
            index.add(CatalogEntry(song_id, title, artist))
            expected[song_id] = (title, artist)
    assert len(index) == len(expected)
    for song_id, (title, artist) in expected.items():
        assert song_id in index
        hits = index.search(f"{title} {artist}", limit=10).hits
        assert all(hit.song_id in expected for hit in hits)
