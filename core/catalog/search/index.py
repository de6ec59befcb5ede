"""An in-memory fuzzy search index over the song catalog.

Search runs in stages so its cost does not grow with a full scan of the
catalog:

1. candidate generation — an inverted index of character trigrams (taken per
   word, padded with spaces, so Japanese or Chinese titles without spaces are
   still matched on their characters) and of whole words scores documents by
   the IDF weight of the query features they share.  Catalog words within about
   two edits of a query word (found through a SymSpell-style deletion map) join
   as extra features, because a typo in a short word destroys most of its
   trigrams.  The commonest trigrams are pruned MaxScore-style, and only a
   bounded number (``_RERANK``) of the best documents go on, with the songs
   titled exactly what was typed, however many others share its words;
2. re-ranking — those candidates are compared with the query by rapidfuzz on the
   title, the artist and both "title artist" orders, for the full text and for
   the other ways it is typed (the title without its bracket part, a subtitle,
   the lead of several artists: see ``readings``), which is what decides the
   order and the 0..100 score the caller sees;
3. versions — songs sharing a title that the query matched by title alone
   ("ymca" for four recordings of Y.M.C.A.) are one answer: they are listed
   together, the one this venue's singers picked most first, then the original
   (the oldest by year, else by catalog order), and they do not count against
   each other when deciding whether the first can be taken without asking.

Memory layout: postings built in bulk live in two numpy arrays (CSR offsets and
document numbers); later additions go to a small dict overlay, removals leave
tombstones, and the overlay is merged back with a numpy sort once it grows large.
Per song, numpy columns hold its age, text shape and title hashes; the other
readings exist only for the songs that have them, as tuples shared by every song
with the same title or artist text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from core.catalog.search.normalize import normalize, strip_fillers
from core.catalog.search.readings import BASE_FACTOR, artist_readings, title_readings
from core.catalog.search.rerank import Shape, score_readings

__all__ = ["CatalogEntry", "SearchAnswer", "SearchHit", "SearchIndex", "catalog_order"]

# Query text beyond these sizes never changes which song is meant; the bounds
# keep a pasted essay from costing more than an ordinary query.
_RAW_QUERY_MAX: Final = 8_200
_NFC_QUERY_MAX: Final = 2_000
_QUERY_MAX: Final = 200
_QUERY_WORDS_MAX: Final = 24
# Candidates handed to the re-ranker.  Recall of the trigram stage is the limit
# on quality, and the rapidfuzz stage costs roughly linearly in this number.
_RERANK: Final = 64
# Big catalogs hold more near-identical songs ("X (Live)", covers), so the
# candidate list grows with the catalog, at a re-ranking cost still bounded.
_RERANK_LARGE: Final = 128
_LARGE_CATALOG: Final = 250_000
# Posting entries visited per query; the commonest trigrams are skipped past
# this budget because their IDF weight hardly moves the ranking anyway.
_POSTING_BUDGET: Final = 250_000
# Trigrams whose summed weight stays under this share of the query's cannot
# make a song a candidate on their own, so their long postings are not read.
_NON_ESSENTIAL_SHARE: Final = 0.25
_GRAMS_MIN: Final = 3
# Marks a whole-word feature; normalised text never contains control characters.
_WORD: Final = "\x01"
# Shorter words have too many neighbours two edits away to be worth expanding.
_FUZZY_WORD_MIN: Final = 4
_FUZZY_WORD_MAX: Final = 24
_NEAR_WORDS_MAX: Final = 6
_NEAR_WORD_FACTOR: Final = 0.8
_DOUBLE_DELETION_MIN: Final = 6
_NEAR_MEMO_MAX: Final = 50_000
_THRESHOLD_STEPS: Final = (0.6, 0.4, 0.2, 0.0)  # the last step keeps every touched song
_STRIPPED_FACTOR: Final = 0.97
_COVERAGE_WEIGHT: Final = 0.15
# Calibrated on the labelled sets of benchmarks/search.py (plain and hard, seeds 1-5, 12,180 queries):
# an exact title+artist, or an exact title of one song or of the versions of one song, is taken,
# while two different songs within a few points of each other are asked about.  At these values
# 81 % of the plain set and 98 % of the hard set were confident, and one confident answer in
# 10,800 was wrong; a margin of 6 made 80 % confident, one of 3 doubled the wrong ones.
_CONFIDENT_SCORE: Final = 88.0
_CONFIDENT_MARGIN: Final = 4.0
# A song matched "by title alone" when naming its artist would add no more than this.
_TITLE_ALONE_SLACK: Final = 0.5
# Versions of one title further than this below the best of them are not offered as it.
_VERSION_SLACK: Final = 1.5
# Titles of more words than this share them with few enough songs to be candidates anyway.
_EXACT_WORDS_MAX: Final = 3
_UNKNOWN_YEAR: Final = 4095
_UNKNOWN_ORDER: Final = 2**48 - 1
_KARAFUN_ID: Final = re.compile(r"karafun:(\d{1,18})")
# The overlay is folded into the numpy postings when it outgrows this or a
# quarter of them, which keeps the sort amortised over many edits.
_COMPACT_MIN: Final = 50_000


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One song as the search index sees it.

    ``year`` (when the song came out) and ``catalog_order`` (its place in the catalog it came
    from, lower is older) tell which of several versions of a title is the original.
    """

    song_id: str
    title: str
    artist: str
    year: int | None = None
    catalog_order: int | None = None


def catalog_order(external_id: str | None) -> int | None:
    """The catalog order of a song from its source id: KaraFun's number for ``karafun:<Id>``, else None.

    KaraFun numbers its songs as they join its catalog, so a lower number is an older entry.
    """
    if external_id is None:
        return None
    match = _KARAFUN_ID.fullmatch(external_id)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A matching song and how well it matched, from 0 (not at all) to 100 (exactly)."""

    song_id: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """Ranked hits, best first; ``confident`` means the first hit can be taken without asking."""

    hits: tuple[SearchHit, ...]
    confident: bool


_EMPTY: Final = SearchAnswer(hits=(), confident=False)
_Readings = tuple[tuple[str, float], ...]
_Scores = npt.NDArray[np.float64]


def _trigrams(key: str) -> set[str]:
    # Words padded by spaces on both sides: a doubled space between words gives
    # each word its own start and end grams (" ab", "ab ") plus two grams that
    # only mark a word's first or last letter ("b  ", "  c").
    padded = f" {key.replace(' ', '  ')} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)} if key else set()


def _features(key: str) -> set[str]:
    """Trigrams plus whole words; a word feature is marked by a leading control character."""
    grams = _trigrams(key)
    grams.update(_WORD + word for word in key.split())
    return grams


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _bound_query(query: str) -> str:
    # Cut the raw text generously, then again after NFC, so that the NFC and
    # NFD spellings of one long text keep the same prefix.
    text = unicodedata.normalize("NFC", query[:_RAW_QUERY_MAX])[:_NFC_QUERY_MAX]
    key = normalize(text)
    if len(key) > _QUERY_MAX:
        cut = key[:_QUERY_MAX]
        key = cut.rsplit(" ", 1)[0] if " " in cut else cut
    words = key.split()
    if len(words) > _QUERY_WORDS_MAX:
        key = " ".join(words[:_QUERY_WORDS_MAX])
    return key


class _Growable:
    """A numpy vector with amortised O(1) append, for per-document and per-gram columns."""

    def __init__(self, dtype: type[np.generic], initial: npt.NDArray[np.generic] | None = None) -> None:
        self.data: npt.NDArray[np.generic] = (
            np.zeros(16, dtype=dtype) if initial is None else np.array(initial, dtype=dtype)
        )
        self.size = 0 if initial is None else len(initial)

    def append(self, value: float | bool) -> None:
        if self.size == len(self.data):
            grown = np.zeros(max(16, 2 * len(self.data)), dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size] = value
        self.size += 1


class SearchIndex:
    """Fuzzy search over catalog entries by title, artist or both, tolerant of typos.

    Mutations (``add``, ``remove``) must be serialised by the caller — a single
    asyncio event loop does that naturally — and must not run while a search
    is in progress on another thread.  Any number of searches may run
    concurrently with each other: the only thing searches share is a memo of
    typo neighbours, whose entries are filled idempotently (the same value
    whichever search writes it) and dropped by any mutation that adds a word.

    Versions of one title are ordered by the venue's picks, then by age (see
    ``search``); other ties in score are broken by insertion order, so a
    catalog loaded in popularity order prefers the better-known of two equally
    good matches.
    """

    def __init__(self, entries: Iterable[CatalogEntry] = ()) -> None:
        """Build the index; the entries go through the bulk path, later duplicates of a song_id win."""
        self._ids: list[str | None] = []
        self._titles: list[str] = []
        self._artists: list[str] = []
        self._slot: dict[str, int] = {}
        # How old each song is as one sortable number (see ``_age``): the original of a title is the oldest.
        self._ages = _Growable(np.int64)
        # Other readings of each song's title and artist (see ``readings``): numbers into lists of
        # readings shared by every song with the same title or artist text; 0 means none.
        self._title_readings: list[_Readings] = [()]
        self._artist_readings: list[_Readings] = [()]
        self._title_reading = _Growable(np.int32)
        self._artist_reading = _Growable(np.int32)
        self._alive = _Growable(np.bool_)
        # hash() of each song's title and of its title without brackets: songs titled exactly what
        # was typed join the candidates even when hundreds of others share its words ("love").
        self._title_hash = _Growable(np.int64)
        self._base_hash = _Growable(np.int64)
        # What the re-ranker would otherwise recount per query: text lengths and distinct words.
        self._shape = _Growable(np.int32)
        self._dl = _Growable(np.float32)
        self._vocab: dict[str, int] = {}
        self._df = _Growable(np.int32)
        self._base_off: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)
        self._base_docs: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._overlay: dict[int, list[int]] = {}
        self._overlay_size = 0
        self._deletes: dict[str, list[str]] = {}
        # Query words looked up before and their neighbours: words recur from query to query
        # ("love", "heart"), and the neighbours change only when a new word joins the catalog.
        self._near_memo: dict[str, tuple[str, ...]] = {}
        self._bulk_load(entries)

    # -- mutation ---------------------------------------------------------------

    def add(self, entry: CatalogEntry) -> None:
        """Insert ``entry``, or replace the song with the same ``song_id``; searchable on return."""
        self.remove(entry.song_id)
        title = normalize(entry.title)
        artist = normalize(entry.artist)
        doc = len(self._ids)
        self._ids.append(entry.song_id)
        self._titles.append(title)
        self._artists.append(artist)
        self._ages.append(_age(entry))
        self._title_reading.append(_numbered(self._title_readings, title_readings(entry.title, title)))
        self._artist_reading.append(_numbered(self._artist_readings, artist_readings(entry.artist, artist)))
        self._slot[entry.song_id] = doc
        self._alive.append(True)
        self._title_hash.append(hash(title))
        self._base_hash.append(hash(self._base(doc)))
        self._shape.append(_shape(title, artist))
        grams = _features(title) | _features(artist)
        self._dl.append(float(max(1, len(grams))))
        for gram in grams:
            gid = self._vocab.get(gram)
            if gid is None:
                gid = len(self._vocab)
                self._vocab[gram] = gid
                self._df.append(0)
                if gram[0] == _WORD:
                    self._add_deletions(gram[1:])
            self._df.data[gid] += 1
            self._overlay.setdefault(gid, []).append(doc)
        self._overlay_size += len(grams)
        if self._overlay_size > max(_COMPACT_MIN, len(self._base_docs) // 4):
            self._compact()

    def remove(self, song_id: str) -> bool:
        """Remove the song with ``song_id``; returns whether it was present.  Takes effect at once."""
        doc = self._slot.pop(song_id, None)
        if doc is None:
            return False
        self._alive.data[doc] = False
        self._ids[doc] = None
        for gram in _features(self._titles[doc]) | _features(self._artists[doc]):
            self._df.data[self._vocab[gram]] -= 1
        self._titles[doc] = ""
        self._artists[doc] = ""
        self._title_reading.data[doc] = 0
        self._artist_reading.data[doc] = 0
        return True

    def _base(self, doc: int) -> str:
        """The song's title without its bracketed part, which names the versions of one title."""
        more = self._title_readings[int(self._title_reading.data[doc])]
        if more and more[0][1] == BASE_FACTOR:
            return more[0][0]
        return self._titles[doc]

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, song_id: object) -> bool:
        return song_id in self._slot

    # -- bulk building ------------------------------------------------------------

    def _bulk_load(self, entries: Iterable[CatalogEntry]) -> None:
        # Catalogs repeat artists (and often titles): each distinct string is
        # normalised and cut into trigrams once, its gram ids kept as a slice
        # of one flat int32 pool rather than as millions of small objects.
        keys: dict[str, tuple[str, int, int]] = {}
        pool = array("i")
        vocab = self._vocab
        setdefault = vocab.setdefault
        spans = array("q")
        ids, titles, artists, slot = self._ids, self._titles, self._artists, self._slot
        replaced: list[int] = []
        # Each distinct title or artist text is read once; its songs share the number of its readings.
        title_number: dict[str, int] = {}
        artist_number: dict[str, int] = {}
        title_numbers = array("i")
        artist_numbers = array("i")
        years = array("q")
        orders = array("q")
        for entry in entries:
            for raw in (entry.title, entry.artist):
                known = keys.get(raw)
                if known is None:
                    key = normalize(raw)
                    start = len(pool)
                    pool.extend([setdefault(gram, len(vocab)) for gram in _features(key)])
                    known = (key, start, len(pool) - start)
                    keys[raw] = known
                spans.append(known[1])
                spans.append(known[2])
            previous = slot.get(entry.song_id)
            if previous is not None:
                replaced.append(previous)
                ids[previous] = None
                title_numbers[previous] = artist_numbers[previous] = 0
            slot[entry.song_id] = len(ids)
            ids.append(entry.song_id)
            titles.append(keys[entry.title][0])
            artists.append(keys[entry.artist][0])
            year, order = entry.year, entry.catalog_order
            years.append(-1 if year is None else min(max(year, 0), _UNKNOWN_YEAR - 1))
            orders.append(-1 if order is None else min(max(order, 0), _UNKNOWN_ORDER - 1))
            number = title_number.get(entry.title)
            if number is None:
                more = title_readings(entry.title, titles[-1])
                number = title_number[entry.title] = _numbered(self._title_readings, more)
            title_numbers.append(number)
            number = artist_number.get(entry.artist)
            if number is None:
                more = artist_readings(entry.artist, artists[-1])
                number = artist_number[entry.artist] = _numbered(self._artist_readings, more)
            artist_numbers.append(number)
        del keys, title_number, artist_number
        n_docs = len(ids)
        if n_docs == 0:
            return
        span = np.frombuffer(spans, dtype=np.int64).reshape(-1, 2)
        starts, lengths = span[:, 0], span[:, 1]
        total = int(lengths.sum())
        # Gather every (title grams ++ artist grams) slice of the pool at once.
        offsets = np.cumsum(lengths) - lengths
        gather = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, lengths)
        all_grams = np.frombuffer(pool, dtype=np.int32)[gather].astype(np.int64)
        del gather, pool
        per_doc = lengths.reshape(-1, 2).sum(axis=1)
        all_docs = np.repeat(np.arange(n_docs, dtype=np.int64), per_doc)
        alive = np.ones(n_docs, dtype=np.bool_)
        alive[replaced] = False
        if replaced:
            keep = alive[all_docs]
            all_grams, all_docs = all_grams[keep], all_docs[keep]
            for doc in replaced:
                titles[doc] = artists[doc] = ""
        # One sort over (gram, doc) pairs groups the postings and drops grams a
        # title and its artist share.
        pairs = (all_grams << 32) | all_docs
        del all_grams, all_docs
        pairs.sort()
        distinct = np.ones(len(pairs), dtype=np.bool_)
        np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
        pairs = pairs[distinct]
        del distinct
        docs = (pairs & 0xFFFFFFFF).astype(np.int32)
        df = np.bincount((pairs >> 32).astype(np.int32), minlength=len(vocab)).astype(np.int32)
        del pairs
        self._base_off = np.concatenate(([0], np.cumsum(df, dtype=np.int64)))
        self._base_docs = docs
        self._df = _Growable(np.int32, df)
        self._dl = _Growable(np.float32, np.maximum(np.bincount(docs, minlength=n_docs), 1))
        self._alive = _Growable(np.bool_, alive)
        self._ages = _Growable(np.int64, _ages(years, orders))
        self._title_hash = _Growable(np.int64, np.fromiter(map(hash, titles), dtype=np.int64, count=n_docs))
        self._shape = _Growable(np.int32, _shapes(titles, artists))
        self._title_reading = _Growable(np.int32, np.frombuffer(title_numbers, dtype=np.int32))
        self._artist_reading = _Growable(np.int32, np.frombuffer(artist_numbers, dtype=np.int32))
        base_hash = self._title_hash.data.copy()
        for doc in np.flatnonzero(self._title_reading.data[:n_docs]).tolist():
            base_hash[doc] = hash(self._base(doc))
        self._base_hash = _Growable(np.int64, base_hash)
        for gram in vocab:
            if gram[0] == _WORD:
                self._add_deletions(gram[1:])

    def _add_deletions(self, word: str) -> None:
        # SymSpell-style: a word is reachable from every string one deletion
        # away, so a query word and a catalog word within about two edits share
        # a key (or one is a deletion of the other).
        self._near_memo.clear()  # a new word may be near any word looked up before
        if len(word) >= _FUZZY_WORD_MIN:
            for deleted in _deletions(word):
                self._deletes.setdefault(deleted, []).append(word)

    def _compact(self) -> None:
        """Fold the overlay into the numpy postings, dropping tombstoned documents."""
        n_base = len(self._base_off) - 1
        base_grams = np.repeat(np.arange(n_base, dtype=np.int32), np.diff(self._base_off))
        extra_grams = np.fromiter(
            (gid for gid, docs in self._overlay.items() for _ in docs), dtype=np.int32, count=self._overlay_size
        )
        extra_docs = np.fromiter(
            (doc for docs in self._overlay.values() for doc in docs), dtype=np.int32, count=self._overlay_size
        )
        grams = np.concatenate((base_grams, extra_grams))
        docs = np.concatenate((self._base_docs, extra_docs))
        keep = self._alive.data[docs]
        grams, docs = grams[keep], docs[keep]
        order = np.argsort(grams, kind="stable")
        counts = np.bincount(grams, minlength=len(self._vocab))
        self._base_off = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        self._base_docs = docs[order]
        self._overlay = {}
        self._overlay_size = 0

    # -- search -------------------------------------------------------------------

    def _postings(self, gid: int) -> npt.NDArray[np.int32]:
        if gid + 1 < len(self._base_off):
            base = self._base_docs[self._base_off[gid] : self._base_off[gid + 1]]
        else:
            base = self._base_docs[:0]
        extra = self._overlay.get(gid)
        if extra:
            return np.concatenate((base, np.asarray(extra, dtype=np.int32)))
        return base

    def _candidates(self, key: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Documents sharing the most IDF weight of trigrams with ``key``, and that weight's share."""
        df = self._df.data
        vocab = self._vocab
        # In sorted order, not a set's (which changes with each process's string hashing), so that features
        # of equal document frequency are taken in the same order by every instance and after every restart.
        gids = [gid for gid in map(vocab.get, sorted(_features(key))) if gid is not None]
        # Document frequencies read from numpy once, as Python ints: element access costs more.
        df_of = {gid: count for gid, count in zip(gids, df[gids].tolist() if gids else (), strict=True) if count > 0}
        live = list(df_of)
        word_gids = {vocab.get(_WORD + word) for word in key.split()}
        n_alive = max(1, len(self._slot))
        weight_of = {gid: math.log(1.0 + n_alive / count) for gid, count in df_of.items()}
        primary = set(weight_of)
        # Catalog words a couple of typos away from a query word ("rihgt" →
        # "right") join as extra, slightly discounted features: trigrams alone
        # lose short mistyped words.  They add to a song's mass, not to the total.
        for word in sorted(set(key.split())):
            for alternative in self._near_words(word):
                gid = vocab.get(_WORD + alternative)
                if gid is None or gid in weight_of:
                    continue
                count = int(df[gid])
                if count > 0:
                    df_of[gid] = count
                    weight_of[gid] = _NEAR_WORD_FACTOR * math.log(1.0 + n_alive / count)
                    live.append(gid)
                    word_gids.add(gid)
        if not live:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        live.sort(key=df_of.__getitem__)
        weights = [weight_of[gid] for gid in live]
        # MaxScore-style pruning: the commonest trigrams whose weights add up to
        # less than a quarter of the query's cannot lift a song into the
        # candidates by themselves, yet they hold most of the postings; they are
        # left out of candidate generation (the re-ranker still sees all text).
        trigram_weights = [w for gid, w in zip(live, weights, strict=True) if gid not in word_gids]
        floor = _NON_ESSENTIAL_SHARE * sum(trigram_weights)
        dropped = 0.0
        kept_trigrams = len(trigram_weights)
        while kept_trigrams > _GRAMS_MIN and dropped + trigram_weights[kept_trigrams - 1] < floor:
            dropped += trigram_weights[kept_trigrams - 1]
            kept_trigrams -= 1
        # Whole-word features are rare and decisive, so pruning only drops trigrams.
        cutoff = trigram_weights[kept_trigrams - 1] if kept_trigrams else math.inf
        selected = [
            (gid, w) for gid, w in zip(live, weights, strict=True) if gid in word_gids or w >= cutoff
        ]
        live = [gid for gid, _ in selected]
        weights = [w for _, w in selected]
        keep = len(live)
        spent = 0
        parts: list[npt.NDArray[np.int32]] = []
        for gid in live[:keep]:
            if parts and spent + df_of[gid] > _POSTING_BUDGET:
                break
            postings = self._postings(gid)
            parts.append(postings)
            spent += len(postings)
        used = weights[: len(parts)]
        total = sum(w for gid, w in zip(live, used, strict=False) if gid in primary) or sum(used)
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        scores = np.bincount(np.concatenate(parts), weights=np.asarray(used).repeat(lengths), minlength=len(self._ids))
        # nonzero on a boolean mask is several times faster than on floats. Dead documents (of songs removed
        # or replaced since the last compaction), when there are any, are masked over the whole array at once,
        # which is cheaper than picking them out of the touched.
        touched_mask = scores > 0.0
        if len(self._ids) > len(self._slot):
            np.logical_and(touched_mask, self._alive.data[: len(scores)], out=touched_mask)
        touched = touched_mask.nonzero()[0]
        mass = scores[touched]
        rerank = _RERANK_LARGE if n_alive >= _LARGE_CATALOG else _RERANK
        found, found_mass = touched, mass
        for step in _THRESHOLD_STEPS[:-1]:
            above = mass >= step * total
            if np.count_nonzero(above) >= rerank:
                found, found_mass = touched[above], mass[above]
                break
        if len(found) > rerank:
            # Shorter documents that hold the same query trigrams are closer to
            # the whole of what was typed.
            weighted = found_mass / np.power(self._dl.data[found], 0.25)
            best = (-weighted).argpartition(rerank - 1)[:rerank]
            found, found_mass = found[best], found_mass[best]
        coverage: npt.NDArray[np.float64] = np.minimum(found_mass / total, 1.0)
        return found, coverage

    def _near_words(self, word: str) -> tuple[str, ...]:
        """Catalog words within about two edits of ``word`` (not ``word`` itself), closest first."""
        if len(word) < _FUZZY_WORD_MIN or len(word) > _FUZZY_WORD_MAX:
            return ()
        known = self._near_memo.get(word)
        if known is None:
            known = self._find_near_words(word)
            if len(self._near_memo) >= _NEAR_MEMO_MAX:
                self._near_memo.clear()
            self._near_memo[word] = known
        return known

    def _find_near_words(self, word: str) -> tuple[str, ...]:
        get = self._deletes.get
        vocab = self._vocab
        found: set[str] = set(get(word, ()))
        double = len(word) >= _DOUBLE_DELETION_MIN
        for i in range(len(word)):
            deleted = word[:i] + word[i + 1 :]
            found.update(get(deleted, ()))
            if _WORD + deleted in vocab:
                found.add(deleted)
            if double:
                # Two deletions on the query side reach words two transpositions
                # away ("dimaodn" → "diamond"), which long words often suffer.
                # Each pair of positions once: the second at or after the first.
                for j in range(i, len(deleted)):
                    found.update(get(deleted[:j] + deleted[j + 1 :], ()))
        found.discard(word)
        # Closest first, equally close words alphabetically: the same words, in the same order, in every process.
        ordered = sorted(found, key=lambda other: (-fuzz.ratio(word, other), other))
        return tuple(ordered[:_NEAR_WORDS_MAX])

    def search(
        self, query: str, limit: int = 10, picks: Mapping[str, int] | None = None,
        popular: Mapping[str, int] | None = None,
    ) -> SearchAnswer:
        """Find the songs best matching ``query``, best first, at most ``limit`` of them.

        Promises: never raises for any ``str``; an empty answer for queries with
        nothing searchable (empty, punctuation or emoji only); scores within
        0..100, never increasing down the list; different Unicode normal forms
        of the same query give the same answer; cost is bounded by the query's
        length cap, not the catalog size scan.  Versions of one title matched
        by title alone come together, ordered by ``picks`` (song id → how often
        this venue's singers chose it; more first), then oldest first (by year,
        else by catalog order), then by insertion.  ``confident`` is set when
        the first hit scores high and no other song, apart from those versions
        and identical duplicates, comes close behind it. ``popular`` (song id →
        how often it was sung here) only breaks ties: of songs scoring exactly
        the same, the more sung comes first; it never lifts a song past a
        better match, and leaves ``confident`` as it is.
        """
        if limit <= 0:
            return _EMPTY
        key = _bound_query(query)
        if not key:
            return _EMPTY
        found, coverage = self._with_exact_titles(key, *self._candidates(key))
        stripped = strip_fillers(key)
        if stripped != key:
            # Filler words can be rare in the catalog ("lyrics") and would pull
            # the candidates their way; the query without them gets its own.
            more, more_coverage = self._with_exact_titles(stripped, *self._candidates(stripped))
            merged: dict[int, float] = dict(zip(more.tolist(), more_coverage.tolist(), strict=True))
            for doc, share in zip(found.tolist(), coverage.tolist(), strict=True):
                merged[doc] = max(share, merged.get(doc, 0.0))
            found = np.fromiter(merged.keys(), dtype=np.int64, count=len(merged))
            coverage = np.fromiter(merged.values(), dtype=np.float64, count=len(merged))
        if len(found) == 0:
            return _EMPTY
        docs: list[int] = found.tolist()
        scores, by_title, as_typed = self._rerank(key, docs)
        if stripped != key:
            # The query without chat fillers is the likelier reading, but a
            # title that really contains the filler words must still win.
            again = self._rerank(stripped, docs)
            scores = np.maximum(scores, again[0] * _STRIPPED_FACTOR)
            by_title = np.maximum(by_title, again[1] * _STRIPPED_FACTOR)
            as_typed = np.maximum(as_typed, again[2] * _STRIPPED_FACTOR)
        # Songs missing the rare parts of the query (an unusual word, a
        # Chinese title) lose a little against songs that hold all of it.
        weight = 1.0 - _COVERAGE_WEIGHT + _COVERAGE_WEIGHT * np.minimum(coverage, 1.0)
        # Which songs the query named without help from their artist, and which by their full title.
        alone = (scores - by_title <= _TITLE_ALONE_SLACK).tolist()
        full = (scores - as_typed <= _TITLE_ALONE_SLACK).tolist()
        return self._answer(docs, scores * weight, alone, full, limit, picks or {}, popular or {})

    def _with_exact_titles(
        self, key: str, found: npt.NDArray[np.int64], coverage: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """``found`` plus the songs titled exactly ``key`` (in full or without brackets), which hold all of it."""
        n_alive = len(self._slot)
        if len(found) < (_RERANK_LARGE if n_alive >= _LARGE_CATALOG else _RERANK):
            return found, coverage  # every song sharing a feature with the query is in already
        if key.count(" ") >= _EXACT_WORDS_MAX:
            return found, coverage  # so many words together are rare enough to be among the candidates
        df = self._df.data
        rarest = None
        for word in key.split():
            gid = self._vocab.get(_WORD + word)
            if gid is None or df[gid] == 0:
                return found, coverage
            if rarest is None or df[gid] < df[rarest]:
                rarest = gid
        if rarest is None:
            return found, coverage
        postings = self._postings(rarest)
        wanted = hash(key)
        exact = postings[(self._title_hash.data[postings] == wanted) | (self._base_hash.data[postings] == wanted)]
        exact = exact[self._alive.data[exact]]
        if len(exact) == 0:
            return found, coverage
        known = set(found.tolist())
        extra = [doc for doc in exact.tolist() if doc not in known][:_RERANK]
        if not extra:
            return found, coverage
        more = np.asarray(extra, dtype=np.int64)
        return np.concatenate((found, more)), np.concatenate((coverage, np.ones(len(more))))

    def _rerank(self, query: str, docs: list[int]) -> tuple[_Scores, _Scores, _Scores]:
        """Per document: the best score of any of its readings, the best by a title alone, and the
        best of the readings with its full title (the artist may still be the lead one)."""
        own_titles, own_artists = self._titles, self._artists
        titles = [own_titles[d] for d in docs]
        artists = [own_artists[d] for d in docs]
        at_docs = np.asarray(docs, dtype=np.intp)
        shape = self._shape.data[at_docs].astype(np.int32, copy=False)
        title_readings, artist_readings = self._title_readings, self._artist_readings
        title_reading = self._title_reading.data[at_docs].astype(np.int32, copy=False)
        artist_reading = self._artist_reading.data[at_docs].astype(np.int32, copy=False)
        # Most songs are read only as written; the few with other readings add rows after theirs:
        # the title read another way with the full artist, the full title with the lead artist
        # (nobody types a subtitle with half the credits).
        owners: list[int] = []
        full_title: list[bool] = []
        worth: list[float] = []
        extra_shapes: list[int] = []
        for position in (title_reading | artist_reading).nonzero()[0].tolist():
            title, artist = titles[position], artists[position]
            for other, value in title_readings[int(title_reading[position])]:
                titles.append(other)
                artists.append(artist)
                worth.append(value)
                full_title.append(False)
                extra_shapes.append(_shape(other, artist))
                owners.append(position)
            for other, value in artist_readings[int(artist_reading[position])]:
                titles.append(title)
                artists.append(other)
                worth.append(value)
                full_title.append(True)
                extra_shapes.append(_shape(title, other))
                owners.append(position)
        n = len(docs)
        if not owners:
            best, by_title = score_readings(query, titles, artists, _unpack(shape))
            return best, by_title, best
        shapes = np.concatenate((shape, np.asarray(extra_shapes, dtype=np.int32)))
        weights = np.concatenate((np.ones(n), np.asarray(worth)))
        rows_best, rows_by_title = score_readings(query, titles, artists, _unpack(shapes), weights, prefixed=n)
        best, by_title = rows_best[:n].copy(), rows_by_title[:n].copy()
        with_full_title = best.copy()
        # A song's extra rows are together: the best of each run goes to its song.
        owner = np.asarray(owners, dtype=np.intp)
        runs = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
        at = owner[runs]
        best[at] = np.maximum(best[at], np.maximum.reduceat(rows_best[n:], runs))
        by_title[at] = np.maximum(by_title[at], np.maximum.reduceat(rows_by_title[n:], runs))
        full_rows = np.where(full_title, rows_best[n:], 0.0)
        with_full_title[at] = np.maximum(with_full_title[at], np.maximum.reduceat(full_rows, runs))
        return best, by_title, with_full_title

    def _answer(
        self,
        docs: list[int],
        scores: _Scores,
        title_alone: list[bool],
        as_typed: list[bool],
        limit: int,
        picks: Mapping[str, int],
        popular: Mapping[str, int],
    ) -> SearchAnswer:
        """Order the scored documents into hits, versions of one title together, and judge the first."""
        if popular:
            # Equal scores go to the song sung here more, then (as without) to the earlier inserted.
            ids = self._ids
            sung = np.fromiter((popular.get(ids[d] or "", 0) for d in docs), dtype=np.int64, count=len(docs))
            ranked: list[int] = np.lexsort((np.asarray(docs), -sung, -scores)).tolist()
        else:
            ranked = np.lexsort((np.asarray(docs), -scores)).tolist()
        score_of: list[float] = scores.tolist()
        # Each group is one answer: a song, or the versions of one title the query named by title alone
        # (or by title and the same artist). A group's score is its best member's.
        groups: list[list[int]] = []
        open_groups: dict[tuple[str, str | None], int] = {}
        for i in ranked:
            # Ranked best first: once past the last wanted group's reach, nothing joins any of them.
            if len(groups) > limit and score_of[i] < score_of[groups[limit][0]] - _VERSION_SLACK:
                break
            doc = docs[i]
            group_key = (self._base(doc), None if title_alone[i] else self._artists[doc])
            at = open_groups.get(group_key)
            if at is not None and score_of[i] >= score_of[groups[at][0]] - _VERSION_SLACK:
                groups[at].append(i)
            else:
                open_groups[group_key] = len(groups)
                groups.append([i])

        ages = self._ages.data

        def preference(i: int) -> tuple[int, bool, int, int]:
            doc = docs[i]
            song_id = self._ids[doc]
            return (-picks.get(song_id, 0) if song_id is not None else 0, not as_typed[i], int(ages[doc]), doc)

        hits: list[SearchHit] = []
        first: list[int] = []
        for group in groups:
            lead = score_of[group[0]]
            members = sorted(group, key=preference) if len(group) > 1 else group
            first = first or members
            hits.extend(SearchHit(song_id=str(self._ids[docs[i]]), score=lead) for i in members)
            if len(hits) >= limit:
                break
        top = docs[first[0]]
        top_score = score_of[first[0]]
        runner_up = 0.0
        for i in first[1:]:
            doc = docs[i]
            if (self._titles[doc], self._artists[doc]) != (self._titles[top], self._artists[top]):
                if preference(i)[:-1] == preference(first[0])[:-1]:
                    # Nothing tells these versions apart (no picks, no years, no catalog order): ask.
                    runner_up = top_score
                break
        for group in groups[1:]:
            doc = docs[group[0]]
            if (self._titles[doc], self._artists[doc]) != (self._titles[top], self._artists[top]):
                runner_up = max(runner_up, score_of[group[0]])
                break
        return SearchAnswer(hits=tuple(hits[:limit]), confident=_sure(top_score, runner_up))


def _age(entry: CatalogEntry) -> int:
    """The year (unknown: after every year) then the catalog order (unknown: last), as one int64."""
    year = _UNKNOWN_YEAR if entry.year is None else min(max(entry.year, 0), _UNKNOWN_YEAR - 1)
    order = entry.catalog_order
    order = _UNKNOWN_ORDER if order is None else min(max(order, 0), _UNKNOWN_ORDER - 1)
    return year << 48 | order


def _numbered(shelf: list[_Readings], readings: _Readings) -> int:
    """The number of ``readings`` on ``shelf``, put there if new; 0 (the empty entry) for none."""
    if not readings:
        return 0
    shelf.append(readings)
    return len(shelf) - 1


def _ages(years: array[int], orders: array[int]) -> npt.NDArray[np.int64]:
    """``_age`` of many songs at once from their clamped years and orders, an unknown one given as -1."""
    year = np.frombuffer(years, dtype=np.int64)
    order = np.frombuffer(orders, dtype=np.int64)
    ages: npt.NDArray[np.int64] = (np.where(year < 0, _UNKNOWN_YEAR, year) << 48) | np.where(
        order < 0, _UNKNOWN_ORDER, order
    )
    return ages


def _shape(title: str, artist: str) -> int:
    """The title's length, the artist's and how many distinct words both hold, packed in one int32."""
    words = len(set(f"{title} {artist}".split()))
    return min(len(title), 1023) | min(len(artist), 1023) << 10 | min(words, 1023) << 20


def _shapes(titles: list[str], artists: list[str]) -> npt.NDArray[np.int32]:
    """``_shape`` of many songs at once (maps of builtins: no Python frame per song)."""
    n = len(titles)
    title_length = np.minimum(np.fromiter(map(len, titles), dtype=np.int32, count=n), 1023)
    artist_length = np.minimum(np.fromiter(map(len, artists), dtype=np.int32, count=n), 1023)
    both = map(str.split, map("{} {}".format, titles, artists))
    words = np.minimum(np.fromiter(map(len, map(set, both)), dtype=np.int32, count=n), 1023)
    shapes: npt.NDArray[np.int32] = title_length | artist_length << 10 | words << 20
    return shapes


def _unpack(shapes: npt.NDArray[np.int32]) -> Shape:
    return Shape(shapes & 1023, (shapes >> 10) & 1023, shapes >> 20)


def _sure(best: float, runner_up: float) -> bool:
    """Whether a first answer scoring ``best`` can be taken with the next other answer at ``runner_up``."""
    return best >= _CONFIDENT_SCORE and best - runner_up >= _CONFIDENT_MARGIN
