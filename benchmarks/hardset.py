"""A seeded, labelled HARD set of search queries: the kinds that once auto-queued the wrong song.

Drawn from the real catalog like ``querygen`` (and, like it, independent of ``core.catalog.search``:
the labels use their own folding), plus hand-picked cases from issue 12.  Kinds:

- ``acronym``: a dotted acronym typed without dots ("ymca", "pyt michael jackson");
- ``number``: a number typed the other way (digits for words, words for digits: "5 years david bowie");
- ``short_title_artist``: a title of at most five letters with its artist, either order ("ben michael jackson");
- ``bracket``: a title's bracketed part typed without brackets ("hallelujah live"), or left out with the
  artist given ("satisfaction rolling stones");
- ``first_artist``: the first of several credited artists with the title ("under pressure queen");
- ``and_feat``: "&" typed "and" and back, "feat." typed "ft" or "featuring";
- ``versions``: a title several artists recorded, typed with no artist: the answer is the original;
- ``hand``: hand-picked cases (the five of issue 12 and their kin).

Label rules (a query counts as answered when the first hit is in its label set):

- with an artist: every song with that folded title (or, where the bracket was left out, that title
  without its brackets) and that folded artist (or first artist, for ``first_artist``);
- without an artist: the *original* among the songs with that folded title, i.e. the oldest by the
  export's ``Year``, else by KaraFun ``Id`` (lower is older), with its exact duplicates (same title
  and artist).  That is what a venue with no history of its own should get;
- ``hand``: the songs with exactly the title and artist written next to the query.

Folding for labels is the plain set's (``querygen.label_fold``), which holds Y.M.C.A. = ymca and seven = 7.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Sequence

from querygen import LabelledQuery, Song, fold, label_fold, load_catalog

HARD_KINDS = (
    "acronym",
    "number",
    "short_title_artist",
    "bracket",
    "first_artist",
    "and_feat",
    "versions",
    "hand",
)

# (query, title, artist): the answer a singer means, written exactly as in the KaraFun export.
HAND_PICKED: tuple[tuple[str, str, str], ...] = (
    ("ymca", "Y.M.C.A.", "Village People"),
    ("pyt michael jackson", "P.Y.T. (Pretty Young Thing)", "Michael Jackson"),
    ("sos", "S.O.S.", "ABBA"),
    ("rip", "R.I.P.", "Rita Ora"),
    ("5 years david bowie", "Five Years", "David Bowie"),
    ("y.m.c.a village people", "Y.M.C.A.", "Village People"),
    ("sos abba", "S.O.S.", "ABBA"),
    ("s.o.s abba", "S.O.S.", "ABBA"),
    ("sos rihanna", "SOS", "Rihanna"),
    ("sos indila", "S.O.S", "Indila"),
    ("rip rita ora", "R.I.P.", "Rita Ora"),
    ("rip it up little richard", "Rip It Up", "Little Richard"),
    ("pyt", "P.Y.T. (Pretty Young Thing)", "Michael Jackson"),
    ("p.y.t.", "P.Y.T. (Pretty Young Thing)", "Michael Jackson"),
    ("pretty young thing michael jackson", "P.Y.T. (Pretty Young Thing)", "Michael Jackson"),
    ("ben michael jackson", "Ben", "Michael Jackson"),
    ("five years bowie", "Five Years", "David Bowie"),
    ("seven seconds neneh cherry", "7 Seconds", "Neneh Cherry"),
    ("twenty one guns green day", "21 Guns", "Green Day"),
    ("twenty-one guns", "21 Guns", "Green Day"),
    ("nine to five dolly parton", "9 to 5", "Dolly Parton"),
    ("two become one spice girls", "2 Become 1", "Spice Girls"),
    ("ninety nine luftballons", "99 Luftballons", "Nena"),
    ("99 red balloons", "99 Red Balloons", "Nena"),
    ("500 miles proclaimers", "I'm Gonna Be (500 Miles)", "The Proclaimers"),
    ("hallelujah live", "Hallelujah (live)", "Reamonn"),
    ("hallelujah jeff buckley", "Hallelujah", "Jeff Buckley"),
    ("hallelujah leonard cohen", "Hallelujah", "Leonard Cohen"),
    ("satisfaction rolling stones", "(I Can't Get No) Satisfaction", "The Rolling Stones"),
    ("i cant get no satisfaction rolling stones", "(I Can't Get No) Satisfaction", "The Rolling Stones"),
    ("et katy perry", "E.T.", "Katy Perry"),
    ("la woman the doors", "L.A. Woman", "The Doors"),
    ("under pressure queen", "Under Pressure", "Queen"),
    ("lady marmalade patti labelle", "Lady Marmalade", "Patti LaBelle"),
    ("we found love rihanna", "We Found Love", "Rihanna"),
    ("tatu all the things she said", "All the Things She Said", "t.A.T.u."),
)

_DOTTED = re.compile(r"(?<![\w.])[^\W\d_](?:\.[^\W\d_])+\.?(?!\w)")
_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORD_VALUE = {w: n for n, w in enumerate(_UNITS)} | {w: 20 + 10 * n for n, w in enumerate(_TENS)}
_NUMBER_TOKEN = re.compile(
    r"(?i)\b(?:(?:" + "|".join(_TENS) + r")(?:[- ](?:" + "|".join(_UNITS[1:10]) + r"))?|"
    + "|".join(_UNITS) + r"|100|[1-9]?\d)\b"
)
_BRACKET = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*")
# " x " joins artists only in lower case: "The X Factor Finalists" is one name.
_ARTIST_SPLIT = re.compile(
    r"\s*(?:(?i:,|\s&\s|\sand\s|\sfeat\.?\s|\sft\.?\s|\sfeaturing\s|\swith\s|\svs\.?\s)|\sx\s)\s*"
)


def undot(text: str) -> str:
    """Dotted acronyms written without their dots: "Y.M.C.A." → "YMCA"."""
    return _DOTTED.sub(lambda m: m.group().replace(".", ""), text)


def _number_value(token: str) -> int:
    token = token.lower()
    if token.isdigit():
        return int(token)
    parts = re.split(r"[- ]", token)
    return sum(_WORD_VALUE[p] for p in parts)


def _spell(n: int, rng: random.Random) -> str:
    if n < 20:
        return _UNITS[n]
    if n == 100:
        return "one hundred"
    tens, units = divmod(n, 10)
    if units == 0:
        return _TENS[tens - 2]
    return f"{_TENS[tens - 2]}{rng.choice('- ')}{_UNITS[units]}"


def swap_numbers(text: str, rng: random.Random) -> str:
    """Every number in ``text`` written the other way: digits spelled out, words as digits."""
    return _NUMBER_TOKEN.sub(
        lambda m: _spell(int(m.group()), rng) if m.group().isdigit() else str(_number_value(m.group())), text
    )


def without_brackets(title: str) -> str:
    """The title with its bracketed parts left out (the title itself if nothing would remain)."""
    return _BRACKET.sub(" ", title).strip() or title


def first_artist(artist: str) -> str:
    """The first of several credited artists, or the artist itself."""
    first = _ARTIST_SPLIT.split(artist, maxsplit=1)[0].strip()
    return first if fold(first) not in ("", "the") else artist


class HardLabeller:
    """Resolves the hard set's label rules over the real catalog."""

    def __init__(self, songs: Sequence[Song]) -> None:
        self.songs = {s.song_id: s for s in songs}
        self.folded: dict[str, tuple[str, str]] = {}
        self.by_title: dict[str, list[str]] = defaultdict(list)
        self.by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_base_artist: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_title_first: dict[tuple[str, str], list[str]] = defaultdict(list)
        for song in songs:
            title, artist = label_fold(song.title), label_fold(song.artist)
            self.folded[song.song_id] = (title, artist)
            self.by_title[title].append(song.song_id)
            self.by_pair[(title, artist)].append(song.song_id)
            self.by_base_artist[(label_fold(without_brackets(song.title)), artist)].append(song.song_id)
            self.by_title_first[(title, label_fold(first_artist(song.artist)))].append(song.song_id)
            self.by_title_first[(title, artist)].append(song.song_id)

    def _age(self, song_id: str) -> tuple[int, int]:
        year = self.songs[song_id].year
        return (year if year is not None else 10_000, int(song_id))

    def original(self, title: str) -> frozenset[str]:
        """The oldest song of a folded title, with its exact duplicates."""
        ids = self.by_title.get(title, [])
        if not ids:
            return frozenset()
        oldest = min(ids, key=self._age)
        return frozenset(self.by_pair[self.folded[oldest]])

    def pair(self, title: str, artist: str) -> frozenset[str]:
        return frozenset(self.by_pair.get((title, artist), ()))

    def base_pair(self, base: str, artist: str) -> frozenset[str]:
        """Songs of ``artist`` whose title without brackets is ``base``; the unbracketed one if it exists."""
        exact = self.pair(base, artist)
        return exact or frozenset(self.by_base_artist.get((base, artist), ()))

    def first_pair(self, title: str, first: str) -> frozenset[str]:
        return frozenset(self.by_title_first.get((title, first), ()))

    def exact(self, title: str, artist: str) -> frozenset[str]:
        return frozenset(s.song_id for s in self.songs.values() if s.title == title and s.artist == artist)


def _arrange(title: str, artist: str, rng: random.Random) -> str:
    return f"{title} {artist}" if rng.random() < 0.6 else f"{artist} {title}"


class HardSetGenerator:
    """Builds the hard set from the real catalog, the same for the same seed."""

    def __init__(self, songs: Sequence[Song]) -> None:
        self.labeller = HardLabeller(songs)
        self.acronyms = [s for s in songs if _DOTTED.search(s.title)]
        self.numbers = [s for s in songs if _NUMBER_TOKEN.search(s.title)]
        self.short = [s for s in songs if 2 <= len(label_fold(s.title)) <= 5]
        self.bracketed = [s for s in songs if _BRACKET.search(s.title) and without_brackets(s.title) != s.title]
        self.several = [s for s in songs if first_artist(s.artist) != s.artist]
        self.joined = [s for s in songs if re.search(r"(?i)&|\sand\s|\bfeat\.|\bft\.|\bfeaturing\b", s.artist)]
        artists_of: dict[str, set[str]] = defaultdict(set)
        for song in songs:
            artists_of[self.labeller.folded[song.song_id][0]].add(self.labeller.folded[song.song_id][1])
        self.versions = [s for s in songs if len(artists_of[self.labeller.folded[s.song_id][0]]) > 1]

    def _labelled(self, kind: str, text: str, relevant: frozenset[str], rule: str) -> LabelledQuery:
        return LabelledQuery(kind, text, relevant, (rule, text, ""))

    def _acronym(self, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.acronyms)
        lab = self.labeller
        title, artist = label_fold(song.title), label_fold(song.artist)
        form = rng.random()
        if form < 0.35:
            return self._labelled("acronym", undot(song.title).lower(), lab.original(title), "original")
        if form < 0.7 and without_brackets(song.title) != song.title:
            base = without_brackets(song.title)
            text = _arrange(undot(base).lower(), song.artist.lower(), rng)
            return self._labelled("acronym", text, lab.base_pair(label_fold(base), artist), "base_pair")
        text = _arrange(undot(song.title).lower(), song.artist, rng)
        return self._labelled("acronym", text, lab.pair(title, artist), "pair")

    def _number(self, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.numbers)
        lab = self.labeller
        title, artist = label_fold(song.title), label_fold(song.artist)
        typed = swap_numbers(song.title, rng)
        if rng.random() < 0.4:
            return self._labelled("number", typed, lab.original(title), "original")
        return self._labelled("number", _arrange(typed, song.artist, rng), lab.pair(title, artist), "pair")

    def _short(self, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.short)
        title, artist = label_fold(song.title), label_fold(song.artist)
        text = _arrange(undot(song.title).lower(), song.artist.lower(), rng)
        return self._labelled("short_title_artist", text, self.labeller.pair(title, artist), "pair")

    def _bracket(self, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.bracketed)
        lab = self.labeller
        title, artist = label_fold(song.title), label_fold(song.artist)
        form = rng.random()
        if form < 0.3:
            # The whole title, brackets dropped: "hallelujah live".
            text = " ".join(re.sub(r"[()\[\]]", " ", song.title).split())
            return self._labelled("bracket", text, lab.original(title), "original")
        if form < 0.5:
            text = _arrange(" ".join(re.sub(r"[()\[\]]", " ", song.title).split()), song.artist, rng)
            return self._labelled("bracket", text, lab.pair(title, artist), "pair")
        base = without_brackets(song.title)
        text = _arrange(base, song.artist, rng)
        return self._labelled("bracket", text, lab.base_pair(label_fold(base), artist), "base_pair")

    def _first_artist(self, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.several)
        first = first_artist(song.artist)
        text = _arrange(song.title, first, rng)
        relevant = self.labeller.first_pair(label_fold(song.title), label_fold(first))
        return self._labelled("first_artist", text, relevant, "first_pair")

    def _and_feat(self, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.joined)
        artist = song.artist
        if "&" in artist:
            artist = artist.replace("&", "and")
        elif re.search(r"(?i)\sand\s", artist):
            artist = re.sub(r"(?i)\sand\s", " & ", artist)
        artist = re.sub(r"(?i)\b(?:feat\.|ft\.|featuring)", lambda _: rng.choice(("ft", "featuring", "feat")), artist)
        title = label_fold(song.title)
        text = _arrange(song.title, artist, rng)
        return self._labelled("and_feat", text, self.labeller.pair(title, label_fold(song.artist)), "pair")

    def _versions(self, rng: random.Random) -> LabelledQuery:
        song = rng.choice(self.versions)
        text = song.title if rng.random() < 0.5 else song.title.lower()
        return self._labelled("versions", text, self.labeller.original(label_fold(song.title)), "original")

    def generate(self, seed: int, per_kind: int = 150) -> list[LabelledQuery]:
        """``per_kind`` distinct queries of each generated kind, then the hand-picked ones; fixed by ``seed``."""
        rng = random.Random(seed)
        makers: dict[str, Callable[[random.Random], LabelledQuery]] = {
            "acronym": self._acronym,
            "number": self._number,
            "short_title_artist": self._short,
            "bracket": self._bracket,
            "first_artist": self._first_artist,
            "and_feat": self._and_feat,
            "versions": self._versions,
        }
        queries: list[LabelledQuery] = []
        for make in makers.values():
            seen: set[str] = set()
            tries = 0
            while len(seen) < per_kind and tries < 20 * per_kind:
                tries += 1
                query = make(rng)
                key = fold(query.text)
                if key in seen or not query.relevant:
                    continue
                seen.add(key)
                queries.append(query)
        for text, title, artist in HAND_PICKED:
            relevant = self.labeller.exact(title, artist)
            if not relevant:
                raise ValueError(f"hand-picked answer not in the catalog: {title} / {artist}")
            queries.append(LabelledQuery("hand", text, relevant, ("exact", title, artist)))
        return queries


def generate_hard(seed: int = 1, per_kind: int = 150, songs: Sequence[Song] | None = None) -> list[LabelledQuery]:
    """The hard set for ``seed`` over ``songs`` (the real catalog by default)."""
    return HardSetGenerator(songs if songs is not None else load_catalog()).generate(seed, per_kind)


if __name__ == "__main__":
    import sys

    catalog = load_catalog()
    by_id = {s.song_id: s for s in catalog}
    for query in generate_hard(int(sys.argv[1]) if len(sys.argv) > 1 else 1, per_kind=6, songs=catalog):
        answer = by_id[min(query.relevant, key=int)]
        print(f"{query.kind:19} {len(query.relevant):3}  {query.text!r:50} → {answer.title} / {answer.artist}")
