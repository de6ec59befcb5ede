"""Catalog rules and the import, against hand-written fakes."""

from __future__ import annotations

import itertools

import pytest

from core.catalog import (
    UNSET,
    CatalogError,
    CatalogService,
    SongDraft,
    SongPatch,
    checked_media_file,
    checked_text,
    clean_text,
    match_key,
)
from core.catalog.importers import SourceError, parse_catalog
from tests.unit.fakes import FakeClock, InMemorySongStore, RecordingListener


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  Bohemian   Rhapsody ", "Bohemian Rhapsody"), ("a\tb\nc", "a b c"), ("Cafe\u0301", "Café"),
     ("\u3000全角\u3000", "全角")],
)
def test_text_is_trimmed_collapsed_and_composed(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "x" * 201, "a\x00", "\x07bell"])
def test_bad_text_is_refused(raw: str) -> None:
    with pytest.raises(CatalogError):
        checked_text("title", raw)


def test_media_file_is_both_or_none() -> None:
    assert checked_media_file(None, None) is None
    with pytest.raises(CatalogError):
        checked_media_file("bucket", None)


def test_match_key_ignores_case_spacing_and_unicode_form() -> None:
    assert match_key("Cafe\u0301  del Mar", "ENERGY 52") == match_key("café del mar", "Energy 52")


def service() -> tuple[CatalogService, InMemorySongStore, FakeClock, RecordingListener]:
    store, clock, listener = InMemorySongStore(), FakeClock(), RecordingListener()
    counter = itertools.count(1)
    catalog = CatalogService(store, clock, new_id=lambda: f"00000000-0000-0000-0000-{next(counter):012d}",
                             listeners=[listener])
    return catalog, store, clock, listener


async def test_a_patch_that_changes_nothing_keeps_updated_at_and_tells_no_one() -> None:
    catalog, _, clock, listener = service()
    song = await catalog.add_song(SongDraft(title="Zombie", artist="The Cranberries"))
    clock.advance(60)
    same = await catalog.change_song(song.song_id, SongPatch(title="Zombie"))
    assert same == song
    changed = await catalog.change_song(song.song_id, SongPatch(duration=306))
    assert changed is not None and changed.updated_at == clock.now() and changed.duration == 306
    assert listener.changed == [song.song_id, song.song_id]
    assert SongPatch(duration=None).changes() == {"duration": None}
    assert SongPatch().changes() == {} and SongPatch().title is UNSET


KARAFUN = '''Id;Title;Artist;Year;Duo;Explicit;"Date Added";Styles;Languages
1;Shallow;"A Star is Born";2018;1;0;2018-10-15;"Pop,Duet";English
2;"Tennessee Whiskey";"Chris Stapleton";2015;0;0;2015-07-21;Country;English
3;;"Nobody";2015;0;0;2015-07-21;Country;English
4;"Bad Year";"Someone";19x5;0;0;2015-07-21;Country;English
5;"Bad Duo";"Someone";2001;maybe;0;2015-07-21;Country;English
'''


async def test_a_karafun_export_imports_once_and_reports_bad_rows_by_number() -> None:
    catalog, store, _, _ = service()
    report = await catalog.import_rows(parse_catalog(KARAFUN.splitlines(keepends=True)))
    assert (report.added, report.updated, report.unchanged, report.rejected) == (2, 0, 0, 3)
    assert report.rejections is not None
    assert [where for where, _ in report.rejections] == ["row 4", "row 5", "row 6"]
    assert "title" in report.rejections[0][1] and "year" in report.rejections[1][1]
    shallow = next(s for s in store.songs.values() if s.title == "Shallow")
    assert (shallow.external_id, shallow.duet, shallow.year, shallow.tags) == ("karafun:1", True, 2018,
                                                                                ("Pop", "Duet"))
    again = await catalog.import_rows(parse_catalog(KARAFUN.splitlines(keepends=True)))
    assert (again.added, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 3)
    changed = KARAFUN.replace("Tennessee Whiskey", "Tennessee Whiskey (Live)")
    third = await catalog.import_rows(parse_catalog(changed.splitlines(keepends=True)))
    assert (third.added, third.updated, third.unchanged) == (0, 1, 1)
    assert len(store.songs) == 2


async def test_a_plain_csv_without_ids_matches_on_title_and_artist() -> None:
    catalog, store, _, _ = service()
    plain = "artist,title,duration\nQueen,Bohemian Rhapsody,5:55\nqueen ,  bohemian rhapsody,355\nABBA,Waterloo,\n"
    first = await catalog.import_rows(parse_catalog(plain.splitlines(keepends=True)))
    assert (first.added, first.updated, first.unchanged) == (2, 1, 0)
    second = await catalog.import_rows(parse_catalog(plain.splitlines(keepends=True)))
    # The file names one song twice with different spelling: the last spelling wins, nothing is added.
    assert (second.added, second.updated, second.unchanged) == (0, 2, 1)
    assert sorted(s.title for s in store.songs.values()) == ["Waterloo", "bohemian rhapsody"]


@pytest.mark.parametrize("text", ["", "name;year\nx;1\n", "\ufeff"])
def test_a_source_without_title_and_artist_columns_is_refused_whole(text: str) -> None:
    with pytest.raises(SourceError):
        list(parse_catalog(text.splitlines(keepends=True)))
