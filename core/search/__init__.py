"""Fuzzy search over the song catalog: text normalisation, an incremental index, ranking.

Pure domain code: no I/O, no framework.  ``SearchIndex`` answers chat queries
such as "sweet caroline by neil diamond", "bohemian rapsody" or "queen
bohemian" with ranked song ids and says whether the first one is sure enough
to take without asking the user.
"""

from core.search.index import CatalogEntry, SearchAnswer, SearchHit, SearchIndex
from core.search.normalize import FILLER_WORDS, normalize, normalize_query, strip_fillers

__all__ = [
    "FILLER_WORDS",
    "CatalogEntry",
    "SearchAnswer",
    "SearchHit",
    "SearchIndex",
    "normalize",
    "normalize_query",
    "strip_fillers",
]
