"""Fuzzy search over the song catalog: what singers type in, the songs they meant out.

- ``normalize``: text folded the same way for songs and queries (case, accents, punctuation, ``&``/and,
  dotted acronyms, spelled numbers, ft./feat., leading "the", chat fillers such as "by" or "karaoke").
- ``readings``: the other ways a song is typed: its title without the bracketed part, a subtitle, the
  lead of several artists.
- ``rerank``: how well a query reads as a title, an artist or both (rapidfuzz).
- ``index``: ``SearchIndex``, an incremental inverted index of words and character n-grams re-ranked with
  rapidfuzz; it answers "bohemian rapsody" or "sweet caroline by neil diamond" with ranked song ids,
  versions of one title together (picked before first, then the original), and says whether the first
  is sure enough to take without asking. Pure and synchronous.
- ``shelf``: ``SongShelf``, the songs an answer shows, held in memory with their shared values kept once.
- ``service``: ``CatalogSearch``, the index and shelf of one process built in the background and kept in
  step with the catalog (this process's writes at once, other instances' through the ``CatalogFeed``), so
  a search reads no database; and the ``PickHistory`` port it reads this venue's picks through.
"""

from core.catalog.search.index import CatalogEntry, SearchAnswer, SearchHit, SearchIndex, catalog_order
from core.catalog.search.normalize import FILLER_WORDS, normalize, normalize_query, strip_fillers
from core.catalog.search.service import (
    MAX_QUERY,
    PICKS_REFRESH_SECONDS,
    POPULAR_SONGS,
    CatalogFeed,
    CatalogSearch,
    FoundSong,
    PickHistory,
    Popularity,
    QueryTooLong,
    SearchNotReady,
    SearchResult,
)
from core.catalog.search.shelf import SongShelf

__all__ = [
    "FILLER_WORDS",
    "MAX_QUERY",
    "PICKS_REFRESH_SECONDS",
    "POPULAR_SONGS",
    "CatalogEntry",
    "CatalogFeed",
    "CatalogSearch",
    "FoundSong",
    "PickHistory",
    "Popularity",
    "QueryTooLong",
    "SearchAnswer",
    "SearchHit",
    "SearchIndex",
    "SearchNotReady",
    "SearchResult",
    "SongShelf",
    "catalog_order",
    "normalize",
    "normalize_query",
    "strip_fillers",
]
