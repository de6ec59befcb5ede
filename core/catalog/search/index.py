"""An in-memory fuzzy search index over the song catalog.

Search runs in two stages so its cost does not grow with a full scan of the
catalog:

1. candidate generation — an inverted index of character trigrams (taken per
   word, padded with spaces, so Japanese or Chinese titles without spaces are
   still matched on their characters) and of whole words scores documents by
   the IDF weight of the query features they share.  Catalog words within about
   two edits of a query word (found through a SymSpell-style deletion map) join
   as extra features, because a typo in a short word destroys most of its
   trigrams.  The commonest trigrams are pruned MaxScore-style, and only a
   bounded number (``_RERANK``) of the best documents go on;
2. re-ranking — those candidates are compared with the query by rapidfuzz on the
   title, the artist and both "title artist" orders, which is what decides the
   order and the 0..100 score the caller sees.

Memory layout: postings built in bulk live in two numpy arrays (CSR offsets and
document numbers); later additions go to a small dict overlay, removals leave
tombstones, and the overlay is merged back with a numpy sort once it grows large.
"""

from __future__ import annotations

import math
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from core.catalog.search.normalize import normalize, strip_fillers

__all__ = ["CatalogEntry", "SearchAnswer", "SearchHit", "SearchIndex"]

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
_THRESHOLD_STEPS: Final = (0.6, 0.4, 0.2, 0.0)  # the last step keeps every touched song
# An artist-only match is slightly less sure than an equally good title match,
# since the artist has other songs the user may have meant.
_ARTIST_ONLY_FACTOR: Final = 0.97
_STRIPPED_FACTOR: Final = 0.97
_COVERAGE_WEIGHT: Final = 0.15
# Tuned so an exact title+artist, or an exact title sung by one artist only, is
# taken, while two different songs within a few points of each other are asked about.
_CONFIDENT_SCORE: Final = 88.0
_CONFIDENT_MARGIN: Final = 6.0
# The overlay is folded into the numpy postings when it outgrows this or a
# quarter of them, which keeps the sort amortised over many edits.
_COMPACT_MIN: Final = 50_000


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One song as the search index sees it."""

    song_id: str
    title: str
    artist: str


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
    concurrently with each other: a search keeps no shared scratch state.

    Ties in score are broken by insertion order, so a catalog loaded in
    popularity order prefers the better-known of two equally good matches.
    """

    def __init__(self, entries: Iterable[CatalogEntry] = ()) -> None:
        """Build the index; the entries go through the bulk path, later duplicates of a song_id win."""
        self._ids: list[str | None] = []
        self._titles: list[str] = []
        self._artists: list[str] = []
        self._slot: dict[str, int] = {}
        self._alive = _Growable(np.bool_)
        self._dl = _Growable(np.float32)
        self._vocab: dict[str, int] = {}
        self._df = _Growable(np.int32)
        self._base_off: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)
        self._base_docs: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._overlay: dict[int, list[int]] = {}
        self._overlay_size = 0
        self._deletes: dict[str, list[str]] = {}
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
        self._slot[entry.song_id] = doc
        self._alive.append(True)
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
        return True

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
            slot[entry.song_id] = len(ids)
            ids.append(entry.song_id)
            titles.append(keys[entry.title][0])
            artists.append(keys[entry.artist][0])
        del keys
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
        for gram in vocab:
            if gram[0] == _WORD:
                self._add_deletions(gram[1:])

    def _add_deletions(self, word: str) -> None:
        # SymSpell-style: a word is reachable from every string one deletion
        # away, so a query word and a catalog word within about two edits share
        # a key (or one is a deletion of the other).
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
        live = [gid for gid in (vocab.get(g) for g in _features(key)) if gid is not None and df[gid] > 0]
        word_gids = {vocab.get(_WORD + word) for word in key.split()}
        n_alive = max(1, len(self._slot))
        weight_of = {gid: math.log(1.0 + n_alive / float(df[gid])) for gid in live}
        primary = set(weight_of)
        # Catalog words a couple of typos away from a query word ("rihgt" →
        # "right") join as extra, slightly discounted features: trigrams alone
        # lose short mistyped words.  They add to a song's mass, not to the total.
        for word in set(key.split()):
            for alternative in self._near_words(word):
                gid = vocab.get(_WORD + alternative)
                if gid is not None and df[gid] > 0 and gid not in weight_of:
                    weight_of[gid] = _NEAR_WORD_FACTOR * math.log(1.0 + n_alive / float(df[gid]))
                    live.append(gid)
                    word_gids.add(gid)
        if not live:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        live.sort(key=lambda gid: int(df[gid]))
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
            if parts and spent + df[gid] > _POSTING_BUDGET:
                break
            postings = self._postings(gid)
            parts.append(postings)
            spent += len(postings)
        used = weights[: len(parts)]
        total = sum(w for gid, w in zip(live, used, strict=False) if gid in primary) or sum(used)
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        scores = np.bincount(
            np.concatenate(parts), weights=np.repeat(np.asarray(used), lengths), minlength=len(self._ids)
        )
        # nonzero on a boolean mask is several times faster than on floats.
        touched = np.flatnonzero(scores > 0.0)
        mass = scores[touched]
        alive = self._alive.data[touched]
        touched, mass = touched[alive], mass[alive]
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
            best = np.argpartition(-weighted, rerank - 1)[:rerank]
            found, found_mass = found[best], found_mass[best]
        coverage: npt.NDArray[np.float64] = np.minimum(found_mass / total, 1.0)
        return found, coverage

    def _near_words(self, word: str) -> list[str]:
        """Catalog words within about two edits of ``word`` (not ``word`` itself), closest first."""
        if len(word) < _FUZZY_WORD_MIN or len(word) > _FUZZY_WORD_MAX:
            return []
        deletes = self._deletes
        vocab = self._vocab
        found: set[str] = set(deletes.get(word, ()))
        for deleted in _deletions(word):
            found.update(deletes.get(deleted, ()))
            if _WORD + deleted in vocab:
                found.add(deleted)
            if len(word) >= _DOUBLE_DELETION_MIN:
                # Two deletions on the query side reach words two transpositions
                # away ("dimaodn" → "diamond"), which long words often suffer.
                for twice in _deletions(deleted):
                    found.update(deletes.get(twice, ()))
        found.discard(word)
        if len(found) > _NEAR_WORDS_MAX:
            return sorted(found, key=lambda other: -fuzz.ratio(word, other))[:_NEAR_WORDS_MAX]
        return list(found)

    def search(self, query: str, limit: int = 10) -> SearchAnswer:
        """Find the songs best matching ``query``, best first, at most ``limit`` of them.

        Promises: never raises for any ``str``; an empty answer for queries with
        nothing searchable (empty, punctuation or emoji only); scores within
        0..100; different Unicode normal forms of the same query give the same
        answer; cost is bounded by the query's length cap, not the catalog size
        scan.  ``confident`` is set when the first hit scores high and no
        differently named song (title and artist) comes close behind it.
        """
        if limit <= 0:
            return _EMPTY
        key = _bound_query(query)
        if not key:
            return _EMPTY
        found, coverage = self._candidates(key)
        stripped = strip_fillers(key)
        if stripped != key:
            # Filler words can be rare in the catalog ("lyrics") and would pull
            # the candidates their way; the query without them gets its own.
            more, more_coverage = self._candidates(stripped)
            merged: dict[int, float] = dict(zip(more.tolist(), more_coverage.tolist(), strict=True))
            for doc, share in zip(found.tolist(), coverage.tolist(), strict=True):
                merged[doc] = max(share, merged.get(doc, 0.0))
            found = np.fromiter(merged.keys(), dtype=np.int64, count=len(merged))
            coverage = np.fromiter(merged.values(), dtype=np.float64, count=len(merged))
        if len(found) == 0:
            return _EMPTY
        docs = [int(d) for d in found]
        titles = [self._titles[d] for d in docs]
        artists = [self._artists[d] for d in docs]
        scores = _rerank(key, titles, artists)
        if stripped != key:
            # The query without chat fillers is the likelier reading, but a
            # title that really contains the filler words must still win.
            scores = np.maximum(scores, _rerank(stripped, titles, artists) * _STRIPPED_FACTOR)
        # Songs missing the rare parts of the query (an unusual word, a
        # Chinese title) lose a little against songs that hold all of it.
        scores = scores * (1.0 - _COVERAGE_WEIGHT + _COVERAGE_WEIGHT * np.minimum(coverage, 1.0))
        order = np.lexsort((np.asarray(docs), -scores))[:limit]
        hits = tuple(
            SearchHit(song_id=str(self._ids[docs[i]]), score=float(scores[i])) for i in order
        )
        top = int(order[0])
        runner_up = 0.0
        for i in np.argsort(-scores, kind="stable"):
            if titles[i] != titles[top] or artists[i] != artists[top]:
                runner_up = float(scores[i])
                break
        confident = scores[top] >= _CONFIDENT_SCORE and scores[top] - runner_up >= _CONFIDENT_MARGIN
        return SearchAnswer(hits=hits, confident=bool(confident))


def _ratios(query: str, choices: Sequence[str], scorer: Callable[..., float] = fuzz.ratio) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = process.cdist(
        [query], choices, scorer=scorer, dtype=np.float64, workers=1
    )[0]
    return result


def _rerank(query: str, titles: list[str], artists: list[str]) -> npt.NDArray[np.float64]:
    """Score each (title, artist) against the query; the best reading of the query wins."""
    n = len(titles)
    n_query = len(query)
    title_artist = [f"{t} {a}" for t, a in zip(titles, artists, strict=True)]
    artist_title = [f"{a} {t}" for t, a in zip(titles, artists, strict=True)]
    # What was typed may be only the start of the title ("have yourself a
    # merry") or the artist and the start of the title ("queen bohemian"); the
    # prefix is cut at a word end so "cracker" does not fully match "crackerman".
    cut = max(0, n_query - 1)
    prefixes = [
        text if (end := text.find(" ", cut)) < 0 else text[:end]
        for group in (titles, artist_title, title_artist)
        for text in group
    ]
    # One rapidfuzz call per scorer: the per-call overhead dominates at this size.
    plain = _ratios(query, [*titles, *title_artist, *artist_title, *artists, *prefixes]).reshape(7, n)
    exact_title, full_ta, full_at, artist_only, prefix_t, prefix_at, prefix_ta = plain
    len_title = np.array([len(t) for t in titles], dtype=np.float64)
    len_full = np.array([len(t) for t in title_artist], dtype=np.float64)
    title_cover = np.minimum(1.0, n_query / np.maximum(len_title, 1.0))
    full_cover = np.minimum(1.0, n_query / np.maximum(len_full, 1.0))
    # Words picked from anywhere ("stapleton whiskey", a Cyrillic part of a
    # bilingual title) count for less the less of the song they cover, in
    # either direction: extra query words must not make a short song look whole.
    n_words = len(set(query.split()))
    song_words = np.array([len(set(t.split())) for t in title_artist], dtype=np.float64)
    word_cover = np.minimum(n_words, song_words) / np.maximum(n_words, song_words)
    best = np.maximum.reduce(
        [
            exact_title,
            full_ta,
            full_at,
            artist_only * _ARTIST_ONLY_FACTOR,
            prefix_t * (0.85 + 0.15 * title_cover),
            np.maximum(prefix_at, prefix_ta) * (0.85 + 0.15 * full_cover),
            _ratios(query, title_artist, fuzz.token_set_ratio) * (0.6 + 0.4 * word_cover),
        ]
    )
    clipped: npt.NDArray[np.float64] = np.clip(best, 0.0, 100.0)
    return clipped
