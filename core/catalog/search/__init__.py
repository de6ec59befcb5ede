"""Fuzzy search over the song catalog: what singers type in, the songs they meant out.

- ``normalize``: text folded the same way for songs and queries (case, accents, punctuation, ``&``/and,
  leading "the", chat fillers such as "by" or "karaoke").
- ``index``: ``SearchIndex``, an incremental inverted index of words and character n-grams re-ranked with
  rapidfuzz; it answers "bohemian rapsody" or "sweet caroline by neil diamond" with ranked song ids and
  says whether the first is sure enough to take without asking. Pure and synchronous.
- ``service``: ``CatalogSearch``, the index of one process built in the background and kept in step with
  the catalog (this process's writes at once, other instances' through the ``CatalogFeed``).
"""

from core.catalog.search.index import CatalogEntry, SearchAnswer, SearchHit, SearchIndex
from core.catalog.search.normalize import FILLER_WORDS, normalize, normalize_query, strip_fillers
from core.catalog.search.service import (
    MAX_QUERY,
    CatalogFeed,
    CatalogSearch,
    FoundSong,
    QueryTooLong,
    SearchNotReady,
    SearchResult,
)

__all__ = [
    "FILLER_WORDS",
    "MAX_QUERY",
    "CatalogEntry",
    "CatalogFeed",
    "CatalogSearch",
    "FoundSong",
    "QueryTooLong",
    "SearchAnswer",
    "SearchHit",
    "SearchIndex",
    "SearchNotReady",
    "SearchResult",
    "normalize",
    "normalize_query",
    "strip_fillers",
]
