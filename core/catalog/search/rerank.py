"""Re-ranking: how well a query reads as one (title, artist) text, on a 0..100 scale.

Every candidate song comes with one or more readings (its full title and artist, and the other ways
they are typed, see ``readings``); each is compared with the query by rapidfuzz as a title, an
artist, both in either order, or their starts.  Two figures come back per reading: the best of all
of those, and the best that used the title alone, which tells whether the artist helped at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

__all__ = ["Shape", "score_readings"]

# An artist-only match is slightly less sure than an equally good title match,
# since the artist has other songs the user may have meant.
_ARTIST_ONLY_FACTOR: Final = 0.97

Scores = npt.NDArray[np.float64]


class Shape(NamedTuple):
    """Per reading, what the scores weigh by: the title's length, the artist's, and how many distinct
    words the two hold together (the index keeps these, so a query need not count them)."""

    title_length: npt.NDArray[np.int32]
    artist_length: npt.NDArray[np.int32]
    words: npt.NDArray[np.int32]


def _ratios(query: str, choices: Sequence[str], scorer: Callable[..., float] = fuzz.ratio) -> Scores:
    result: Scores = process.cdist([query], choices, scorer=scorer, dtype=np.float64, workers=1)[0]
    return result


def score_readings(
    query: str,
    titles: Sequence[str],
    artists: Sequence[str],
    shape: Shape,
    worth: Scores | None = None,
    prefixed: int | None = None,
) -> tuple[Scores, Scores]:
    """Score each reading (``titles[i]``, ``artists[i]``, of ``shape``) against ``query``, scaled by ``worth[i]``.

    Only the first ``prefixed`` readings (all by default) are also compared as the start of what
    was typed: the others are a song's other readings, whose starts are its full text's starts.
    Promises: two arrays of the readings' length with values in 0..100: the best reading of the
    query as a whole, and the best reading that used the title alone (never above the first).
    """
    n = len(titles)
    k = n if prefixed is None else prefixed
    n_query = len(query)
    title_artist = [f"{t} {a}" for t, a in zip(titles, artists, strict=True)]
    artist_title = [f"{a} {t}" for t, a in zip(titles, artists, strict=True)]
    # What was typed may be only the start of the title ("have yourself a
    # merry") or the artist and the start of the title ("queen bohemian"); the
    # prefix is cut at a word end so "cracker" does not fully match "crackerman".
    cut = max(0, n_query - 1)
    prefixes = [
        text if (end := text.find(" ", cut)) < 0 else text[:end]
        for group in (titles[:k], artist_title[:k], title_artist[:k])
        for text in group
    ]
    # One rapidfuzz call per scorer: the per-call overhead dominates at this size.
    plain = _ratios(query, [*titles, *title_artist, *artist_title, *artists, *prefixes])
    exact_title, full_ta, full_at, artist_only = plain[: 4 * n].reshape(4, n)
    prefix_t, prefix_at, prefix_ta = np.zeros((3, n))
    prefix_t[:k], prefix_at[:k], prefix_ta[:k] = plain[4 * n :].reshape(3, k)
    len_title = shape.title_length.astype(np.float64)
    len_full = len_title + shape.artist_length + 1.0
    title_cover = np.minimum(1.0, n_query / np.maximum(len_title, 1.0))
    full_cover = np.minimum(1.0, n_query / np.maximum(len_full, 1.0))
    # Words picked from anywhere ("stapleton whiskey", a Cyrillic part of a
    # bilingual title) count for less the less of the song they cover, in
    # either direction: extra query words must not make a short song look whole.
    n_words = len(set(query.split()))
    song_words = shape.words.astype(np.float64)
    word_cover = np.minimum(n_words, song_words) / np.maximum(n_words, song_words)
    title_only = np.maximum(exact_title, prefix_t * (0.85 + 0.15 * title_cover))
    best = np.maximum.reduce(
        [
            title_only,
            full_ta,
            full_at,
            artist_only * _ARTIST_ONLY_FACTOR,
            np.maximum(prefix_at, prefix_ta) * (0.85 + 0.15 * full_cover),
            _ratios(query, title_artist, fuzz.token_set_ratio) * (0.6 + 0.4 * word_cover),
        ]
    )
    if worth is not None:
        best = best * worth
        title_only = title_only * worth
    # Bounded by two ufuncs, not np.clip, whose Python-level dispatch cost more than the clipping here.
    return np.minimum(np.maximum(best, 0.0), 100.0), np.minimum(np.maximum(title_only, 0.0), 100.0)
