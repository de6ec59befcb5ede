"""Reading a karaoke media folder, as KJ software does: ``Artist - Title.ext`` file names become songs.

Pure: it takes relative paths (the caller walks the disk) and yields ``ImportRow`` values.
An ``.mp3``/``.cdg`` pair (same name, same folder) is one song; so is an ``.mp4``, ``.mkv``,
``.avi``, ``.webm``, ``.kar`` or a ``.zip`` (which KJ tools use to hold a zipped mp3+cdg pair).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Final

from core.catalog.service import ImportRow
from core.catalog.song import CatalogError, MediaFile, SongDraft, checked_text

DEFAULT_PATTERN: Final = r"^(?:(?P<disc>[A-Z]{2,}[\w-]*\d+)\s*-\s*)?(?P<artist>.+?)\s+-\s+(?P<title>.+)$"
"""``Artist - Title``, optionally after a disc id such as ``SC8123-05 - ``."""

VIDEO: Final = frozenset({".mp4", ".mkv", ".avi", ".webm", ".mov", ".kar", ".zip"})
AUDIO_FOR_CDG: Final = frozenset({".mp3", ".ogg", ".m4a", ".wav", ".flac"})
MEDIA_BUCKET: Final = "local"


class PatternError(ValueError):
    """The file name pattern is not a usable regular expression."""


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a file name pattern; it must have named groups ``artist`` and ``title``."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise PatternError(f"not a regular expression: {error}") from None
    missing = {"artist", "title"} - set(compiled.groupindex)
    if missing:
        raise PatternError(f"the pattern needs named groups {sorted(missing)}, e.g. (?P<artist>...)")
    return compiled


def parse_media_paths(paths: Iterable[str], pattern: re.Pattern[str]) -> Iterator[ImportRow]:
    """Yield one ``ImportRow`` per song found among ``paths`` (relative, ``/``-separated).

    Each song's external id is ``file:<path without extension>``, so re-importing a folder finds the
    same songs again; its media file is the video, zip or audio file (bucket ``local``, key = path).
    Files that are neither media nor a cdg's partner are ignored; a cdg without audio, or a name the
    pattern does not match, is rejected with the reason.
    """
    by_stem: dict[str, dict[str, str]] = {}
    for raw in paths:
        path = PurePosixPath(raw)
        suffix = path.suffix.lower()
        if suffix in VIDEO or suffix in AUDIO_FOR_CDG or suffix == ".cdg":
            by_stem.setdefault(str(path.with_suffix("")), {})[suffix] = raw
    for stem in sorted(by_stem):
        files = by_stem[stem]
        media = _pick_media(files)
        if media is None:
            if ".cdg" in files:
                yield ImportRow(files[".cdg"], None, "a .cdg file without its audio file")
            continue
        name = PurePosixPath(stem).name
        match = pattern.match(name)
        if match is None:
            yield ImportRow(media, None, "the file name does not match the pattern (Artist - Title)")
            continue
        try:
            draft = SongDraft(
                title=checked_text("title", match.group("title").replace("_", " ")),
                artist=checked_text("artist", match.group("artist").replace("_", " ")),
                media_file=MediaFile(MEDIA_BUCKET, media),
                external_id=f"file:{stem}"[:200],
            )
        except CatalogError as error:
            yield ImportRow(media, None, f"{error.field} {error.reason}")
        else:
            yield ImportRow(media, draft)


def _pick_media(files: dict[str, str]) -> str | None:
    for suffix in sorted(files):
        if suffix in VIDEO:
            return files[suffix]
    if ".cdg" in files:
        for suffix in sorted(files):
            if suffix in AUDIO_FOR_CDG:
                return files[suffix]
        return None
    # A lone audio file without lyrics graphics is not a karaoke track a KJ can play.
    return None
