"""A KJ's media folder becomes catalog songs, one per track."""

from __future__ import annotations

import pytest

from core.catalog.importers import DEFAULT_PATTERN, PatternError, compile_pattern, parse_media_paths

FOLDER = [
    "Queen - Bohemian Rhapsody.mp3",
    "Queen - Bohemian Rhapsody.cdg",
    "Pop/ABBA - Dancing Queen.mp4",
    "SC8123-05 - Journey - Don't Stop Believin'.zip",
    "Zucchero - Senza una donna.CDG",
    "Zucchero - Senza una donna.MP3",
    "orphan - lyrics only.cdg",
    "readme.txt",
    "Just A Title.mp4",
    "Lone Artist - Lone Audio.mp3",
]


def test_a_folder_becomes_one_song_per_track() -> None:
    rows = list(parse_media_paths(FOLDER, compile_pattern(DEFAULT_PATTERN)))
    songs = {(r.draft.artist, r.draft.title): r.draft for r in rows if r.draft}
    assert set(songs) == {
        ("Queen", "Bohemian Rhapsody"),
        ("ABBA", "Dancing Queen"),
        ("Journey", "Don't Stop Believin'"),
        ("Zucchero", "Senza una donna"),
    }
    queen = songs["Queen", "Bohemian Rhapsody"]
    assert queen.media_file is not None and queen.media_file.key == "Queen - Bohemian Rhapsody.mp3"
    assert queen.external_id == "file:Queen - Bohemian Rhapsody"
    rejected = {r.where: r.error for r in rows if r.draft is None}
    assert rejected == {
        "orphan - lyrics only.cdg": "a .cdg file without its audio file",
        "Just A Title.mp4": "the file name does not match the pattern (Artist - Title)",
    }


def test_a_custom_pattern_reads_title_first_names() -> None:
    pattern = compile_pattern(r"^(?P<title>.+?) by (?P<artist>.+)$")
    rows = list(parse_media_paths(["Hello by Adele.mp4"], pattern))
    assert rows[0].draft is not None and (rows[0].draft.title, rows[0].draft.artist) == ("Hello", "Adele")


@pytest.mark.parametrize("pattern", ["(", "(?P<title>.+)", "no groups"])
def test_a_pattern_without_both_groups_or_broken_is_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)
