"""Seeded generator of labelled search queries drawn from the real karaoke catalog.

Independent of ``core.catalog.search`` on purpose: the labels use their own simple
folding (accents, case, punctuation) so the engine's normaliser is not graded
by itself.

Label rules (a query counts as answered when a returned song id is in its label set):

- title-only kinds (title_only, typo of a title, no_accents of a title, "X karaoke"):
  every song with the same folded title;
- title+artist kinds: every song with the same folded title and artist;
- artist_only: every song by that artist, plus songs whose title *is* the
  artist's name ("queen" may mean "The Queen"), since the query cannot tell;
- partial_title: the first ≥ 60 % (and ≥ 2) words of a title of ≥ 3 words;
  every song whose folded title starts with those words (plus the songs of an
  artist with exactly that name, as "marty robbins" may mean the artist);
- non_latin: the Cyrillic / Japanese / Chinese / Korean part of a bilingual
  title (optionally with the artist); every song whose folded title contains it
  (and same artist when the artist is given).
"""

from __future__ import annotations

import bisect
import csv
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "data" / "karafun-catalog-2022.csv"

KINDS = (
    "title_only",
    "artist_only",
    "title_artist",
    "artist_title",
    "partial_title",
    "typo",
    "no_accents",
    "with_filler",
    "non_latin",
)

_DOTTED = re.compile(r"(?<![\w.])[^\W\d_](?:\.[^\W\d_])+\.?(?!\w)")
_LIGATURES = {"œ": "oe", "æ": "ae", "ø": "o"}
_NUMBER_NAMES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS_NAMES = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_NUMBER_VALUES = {w: n for n, w in enumerate(_NUMBER_NAMES)} | {w: 20 + 10 * n for n, w in enumerate(_TENS_NAMES)}
_TENS_VALUES = frozenset(str(20 + 10 * n) for n in range(8))
_SCRIPTS = "\u0400-\u04ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"  # Cyrillic, kana, CJK, Hangul
_NON_LATIN_RUN = re.compile(f"[{_SCRIPTS}][{_SCRIPTS}\\s・]*")


@dataclass(frozen=True)
class Song:
    """A catalog row; ``year`` is None when the export leaves it empty."""

    song_id: str
    title: str
    artist: str
    year: int | None = None


@dataclass(frozen=True)
class LabelledQuery:
    """A query, its kind, and the song ids that count as a correct answer."""

    kind: str
    text: str
    relevant: frozenset[str]
    rule: tuple[str, str, str]


def load_catalog(path: Path = CATALOG) -> list[Song]:
    """Read the KaraFun CSV (``;``-separated, quoted) into songs, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Song(row["Id"], row["Title"], row["Artist"], int(row["Year"]) if row["Year"].isdigit() else None)
            for row in csv.DictReader(handle, delimiter=";")
        ]


def _undot(match: re.Match[str]) -> str:
    return match.group().replace(".", "")


def _numbers_as_digits(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        value = _NUMBER_VALUES.get(word)
        if value is not None and 0 < value < 10 and out and out[-1] in _TENS_VALUES and out[-1].endswith("0"):
            out[-1] = str(int(out[-1]) + value)
        elif value is not None:
            out.append(str(value))
        else:
            out.append(word)
    return out


def fold(text: str) -> str:
    """Folding of the generator: NFKC, case-fold, Latin accents off, apostrophes dropped, punctuation to spaces."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    text = re.sub(r"['’`´]", "", text)
    decomposed = unicodedata.normalize("NFKD", text)
    out = []
    previous = ""
    for char in decomposed:
        if unicodedata.combining(char) and previous.isascii():
            continue
        out.append(char)
        previous = char
    text = unicodedata.normalize("NFC", "".join(out))
    text = "".join(c if (c.isalnum() or unicodedata.category(c)[0] == "M") else " " for c in text)
    words = text.split()
    while len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def label_fold(text: str) -> str:
    """Folding of the labels: ``fold``, and what issue 12 declares the same: dotted acronyms and their
    letters (Y.M.C.A. = ymca), spelled numbers up to 100 and their digits (seven = 7, twenty-one = 21),
    œ/æ/ø and oe/ae/o.  The queries are still generated with ``fold``, so they stay as they were."""
    text = _DOTTED.sub(_undot, unicodedata.normalize("NFKC", text))
    for letter, plain in _LIGATURES.items():
        text = text.replace(letter, plain).replace(letter.upper(), plain)
    return " ".join(_numbers_as_digits(fold(text).split()))


def strip_accents(text: str) -> str:
    """Remove Latin diacritics the way a user on a plain keyboard would."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _typo(text: str, rng: random.Random, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        # Keep the first letter of a word: people rarely mistype it, and it keeps
        # every edit inside a word long enough to be recognisable.
        spots = [
            i
            for i in range(1, len(chars) - 1)
            if chars[i].isalpha() and chars[i - 1].isalpha() and chars[i + 1 : i + 2] != [" "]
        ]
        if not spots:
            break
        i = rng.choice(spots)
        op = rng.choice(("sub", "del", "swap", "ins"))
        letters = "abcdefghijklmnopqrstuvwxyz"
        if op == "sub":
            chars[i] = rng.choice(letters.replace(chars[i].lower(), ""))
        elif op == "del":
            del chars[i]
        elif op == "swap" and chars[i] != chars[i + 1]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars.insert(i, rng.choice(letters))
    return "".join(chars)


class Labeller:
    """Resolves a query's label rule into song ids over one catalog (real or enlarged)."""

    def __init__(self, songs: Sequence[Song]) -> None:
        self.by_title: dict[str, set[str]] = defaultdict(set)
        self.by_artist: dict[str, set[str]] = defaultdict(set)
        self.by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.folded: dict[str, tuple[str, str]] = {}
        cache: dict[str, str] = {}
        for song in songs:
            title = cache.get(song.title) or cache.setdefault(song.title, label_fold(song.title))
            artist = cache.get(song.artist) or cache.setdefault(song.artist, label_fold(song.artist))
            self.folded[song.song_id] = (title, artist)
            self.by_title[title].add(song.song_id)
            self.by_artist[artist].add(song.song_id)
            self.by_pair[(title, artist)].add(song.song_id)
        self.sorted_titles = sorted(self.by_title)
        self.non_ascii_titles = [t for t in self.by_title if not t.isascii()]

    def resolve(self, rule: tuple[str, str, str]) -> frozenset[str]:
        """The song ids a rule (mode, folded title part, folded artist) accepts; see the module docstring."""
        mode, title, artist = rule
        if mode == "title":
            return frozenset(self.by_title.get(title, ()))
        if mode == "pair":
            return frozenset(self.by_pair.get((title, artist), ()))
        if mode == "artist":
            return frozenset(self.by_artist.get(artist, set()) | self.by_title.get(artist, set()))
        if mode == "prefix":
            found: set[str] = set()
            at = bisect.bisect_left(self.sorted_titles, title)
            while at < len(self.sorted_titles) and self.sorted_titles[at].startswith(title):
                candidate = self.sorted_titles[at]
                if candidate == title or candidate.startswith(title + " "):
                    found |= self.by_title[candidate]
                at += 1
            # Like artist_only in reverse: a prefix that is an artist's name may mean the artist.
            return frozenset(found | self.by_artist.get(title, set()))
        if mode in ("contains", "contains_pair"):
            ids = {sid for t in self.non_ascii_titles if title in t for sid in self.by_title[t]}
            if mode == "contains_pair":
                ids = {sid for sid in ids if self.folded[sid][1] == artist}
            return frozenset(ids)
        raise ValueError(mode)


class QueryGenerator:
    """Builds labelled queries of every kind from one catalog, reproducibly for a seed."""

    def __init__(self, songs: Sequence[Song]) -> None:
        self.songs = list(songs)
        self.labeller = Labeller(self.songs)
        self.long_titles = [s for s in self.songs if len(fold(s.title).split()) >= 3]
        self.accented = [s for s in self.songs if strip_accents(s.title + s.artist) != s.title + s.artist]
        self.non_latin = [s for s in self.songs if _NON_LATIN_RUN.search(s.title)]
        self.typoable = [s for s in self.songs if len(s.title) >= 5]

    def _query(self, kind: str, text: str, mode: str, song: Song, title: str | None = None) -> LabelledQuery:
        folded_title, folded_artist = self.labeller.folded[song.song_id]
        rule = (mode, folded_title if title is None else label_fold(title), folded_artist)
        return LabelledQuery(kind, text, self.labeller.resolve(rule), rule)

    def _one(self, kind: str, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.songs)
        if kind == "title_only":
            return self._query(kind, song.title, "title", song)
        if kind == "artist_only":
            return self._query(kind, song.artist, "artist", song)
        if kind == "title_artist":
            return self._query(kind, f"{song.title} {song.artist}", "pair", song)
        if kind == "artist_title":
            return self._query(kind, f"{song.artist} {song.title}", "pair", song)
        if kind == "partial_title":
            song = rng.choice(self.long_titles)
            words = fold(song.title).split()
            keep = max(2, -(-len(words) * 6 // 10))
            prefix = " ".join(words[:keep])
            return self._query(kind, prefix, "prefix", song, title=prefix)
        if kind == "typo":
            song = rng.choice(self.typoable)
            edits = 2 if len(song.title) >= 10 else 1
            if rng.random() < 0.5:
                return self._query(kind, _typo(song.title, rng, edits), "title", song)
            return self._query(kind, _typo(f"{song.title} {song.artist}", rng, edits), "pair", song)
        if kind == "no_accents":
            song = rng.choice(self.accented)
            if rng.random() < 0.5:
                return self._query(kind, strip_accents(song.title).lower(), "title", song)
            return self._query(kind, strip_accents(f"{song.title} {song.artist}").lower(), "pair", song)
        if kind == "with_filler":
            template = rng.choice(
                ("{t} by {a}", "{t} karaoke", "{t} - {a} karaoke version", "{t} lyrics", "{a} {t} song")
            )
            mode = "title" if "{a}" not in template else "pair"
            return self._query(kind, template.format(t=song.title, a=song.artist), mode, song)
        if kind == "non_latin":
            song = rng.choice(self.non_latin)
            part = max((m.group().strip() for m in _NON_LATIN_RUN.finditer(song.title)), key=len)
            if rng.random() < 0.5:
                return self._query(kind, part, "contains", song, title=fold(part))
            return self._query(kind, f"{part} {song.artist}", "contains_pair", song, title=fold(part))
        raise ValueError(kind)

    def generate(self, seed: int, per_kind: int = 150) -> list[LabelledQuery]:
        """``per_kind`` queries of each kind in ``KINDS`` (≥ 1,000 in all by default), fixed by ``seed``."""
        rng = random.Random(seed)
        return [self._one(kind, rng) for kind in KINDS for _ in range(per_kind)]


def relabel(queries: Sequence[LabelledQuery], labeller: Labeller) -> list[LabelledQuery]:
    """The same queries with labels recomputed over another (e.g. enlarged) catalog."""
    return [LabelledQuery(q.kind, q.text, labeller.resolve(q.rule), q.rule) for q in queries]


def generate(seed: int, per_kind: int = 150, songs: Sequence[Song] | None = None) -> list[LabelledQuery]:
    """Labelled queries for ``seed`` over ``songs`` (the real catalog by default)."""
    return QueryGenerator(songs if songs is not None else load_catalog()).generate(seed, per_kind)


if __name__ == "__main__":
    import sys

    for query in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1, per_kind=5):
        print(f"{query.kind:14} {len(query.relevant):4}  {query.text}")
