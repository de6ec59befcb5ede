"""The other ways a song's title and artist are typed, besides in full.

A singer types "pyt michael jackson" for "P.Y.T. (Pretty Young Thing)", "hallelujah" for
"Hallelujah (Live)", "紅蓮華" for "Gurenge (紅蓮華)" and "under pressure queen" for a song by
"Queen & David Bowie".  Each of these is one more *reading* of the song: a title or artist text
the re-ranker compares the query with, worth a little less than the full text so that a song
whose whole title was typed still comes first.
"""

from __future__ import annotations

import re
from typing import Final

from core.catalog.search.normalize import normalize

__all__ = ["artist_readings", "base_title", "title_readings"]

# Worth of each reading against the full text: the full title beats the same title without its
# bracket part ("Hallelujah" before "Hallelujah (Live)"), which beats a subtitle typed alone, which
# is worth less than an artist's name typed alone ("Bette Midler" is the singer first, not
# "God Help the Outcasts (Bette Midler)").
BASE_FACTOR: Final = 0.99
INNER_FACTOR: Final = 0.96
FIRST_ARTIST_FACTOR: Final = 0.99

_BRACKETS: Final = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|（[^（）]*）|［[^［］]*］")
# A numbered part names a different song ("Another Brick in the Wall (Part 2)"), not a version.
_PART: Final = re.compile(r"(?i)^\W*(?:part|pt|vol|volume|chapter|no)\b\W*\w{1,4}\W*$")
# Bracket words that say which recording it is; such a bracket is no title of its own.
_VERSION_WORDS: Final = frozenset(
    {
        "live", "acoustic", "acoustique", "remix", "mix", "version", "edit", "duet", "duo", "remastered",
        "remaster", "reprise", "unplugged", "clean", "explicit", "demo", "medley", "orchestra", "vivo",
        "instrumental", "karaoke", "feat", "with", "from", "radio", "album", "single", "extended", "mono",
        "stereo", "tour", "concert", "session", "sessions", "cover", "original", "soundtrack", "movie", "film",
        "musical", "english", "spanish", "french", "italian", "german", "francaise", "espanol", "part",
    }
)
# Between the names of several artists; what comes before the first one is the lead artist.
# " x " joins artists only in lower case: "The X Factor Finalists" is one name.
_ARTIST_SPLIT: Final = re.compile(
    r"\s*[,;]\s*|\s(?i:[&+/]|and|feat\.?|ft\.?|featuring|with|vs\.?|y|et|und)\s|\sx\s|\s?\((?i:feat|ft)\.?\s"
)


def _substantive(inner: str) -> bool:
    """Whether a bracket's text is a title in itself: another script, or words that are not a version label."""
    if not inner.isascii() and any(char.isalpha() and not char.isascii() for char in inner):
        return True
    words = inner.split()
    # A four-digit number is a year: "(Live 1999)", "(Stade de France 2009)".
    return len(words) >= 2 and _VERSION_WORDS.isdisjoint(words) and not any(
        len(word) == 4 and word.isdigit() for word in words
    )


def base_title(title: str) -> str:
    """The normalised title without its bracketed parts; a numbered part is kept, and so is a title
    that would be left empty."""
    if "(" not in title and "[" not in title and "（" not in title and "［" not in title:
        return normalize(title)
    kept = _BRACKETS.sub(lambda m: m.group() if _PART.match(m.group()[1:-1]) else " ", title)
    return normalize(kept) or normalize(title)


def title_readings(title: str, full: str | None = None) -> tuple[tuple[str, float], ...]:
    """Normalised readings of ``title`` besides the full one (``full``, if the caller has it), each
    with its worth (0..1).

    Promises: the title without its bracketed parts ("pyt" for "P.Y.T. (Pretty Young Thing)"), and
    a bracket's text alone when it reads as a title of its own (another script, or several words
    that are not a version label such as "Live" or "Radio Edit"); never the full title itself,
    never an empty text, no text twice.
    """
    if "(" not in title and "[" not in title and "（" not in title and "［" not in title:
        return ()
    if full is None:
        full = normalize(title)
    found: dict[str, float] = {}
    base = base_title(title)
    if base and base != full:
        found[base] = BASE_FACTOR
    for match in _BRACKETS.finditer(title):
        inner = normalize(match.group()[1:-1])
        if inner and inner != full and inner not in found and _substantive(inner):
            found[inner] = INNER_FACTOR
    return tuple(found.items())


def artist_readings(artist: str, full: str | None = None) -> tuple[tuple[str, float], ...]:
    """Normalised readings of ``artist`` besides the full one (``full``, if the caller has it): the
    lead artist of several ("queen" for "Queen & David Bowie", "rihanna" for "Rihanna feat. Drake"),
    if there is one."""
    parts = _ARTIST_SPLIT.split(artist, maxsplit=1)
    if len(parts) < 2:
        return ()
    lead = normalize(parts[0])
    if len(lead) < 2 or lead == "the" or lead == (normalize(artist) if full is None else full):
        return ()
    return ((lead, FIRST_ARTIST_FACTOR),)
