"""Text normalisation shared by the catalog side and the query side of search.

Both sides must go through the same functions: a title typed by a user and the
same title stored in the catalog have to meet as equal strings, whatever their
case, accents, punctuation, Unicode normal form, dotted acronyms (Y.M.C.A. and
ymca), spelled numbers (seven and 7) or ways of crediting a guest (ft., feat.).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["FILLER_WORDS", "normalize", "normalize_query", "strip_fillers"]

# Words people add around a song name in a chat ("play X by Y karaoke version").
# They are dropped only at the edges of a query, and "by" also inside it: words
# like "the" or "song" inside a title ("Play The Song") are part of the name.
FILLER_WORDS: Final = frozenset(
    {
        "by",
        "karaoke",
        "version",
        "lyrics",
        "lyric",
        "song",
        "feat",
        "ft",
        "featuring",
        "instrumental",
        "official",
        "video",
        "audio",
        "please",
        "pls",
        "play",
        "sing",
        "the",
    }
)
_INNER_FILLERS: Final = frozenset({"by", "karaoke", "lyrics"})

# Letters joined by dots ("Y.M.C.A.", "t.A.T.u.", "S.O.S") are one word, typed
# without the dots as often as with them.
_ACRONYM: Final = re.compile(r"(?<!\w)(?:[^\W\d_]\.)+[^\W\d_](?!\w)")

_UNITS: Final = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS: Final = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _spelled(number: int) -> str:
    if number < 20:
        return _UNITS[number]
    if number < 100:
        tens, units = divmod(number, 10)
        return _TENS[tens - 2] if units == 0 else f"{_TENS[tens - 2]} {_UNITS[units]}"
    return f"{_UNITS[number // 100]} hundred"


# Numbers typed as digits are spelled, so "7 seconds" meets "Seven Seconds" and a typo in a
# spelled number ("sventeen") still finds it.
_SPELLED: Final = {str(n): _spelled(n) for n in range(101)} | {
    str(n): _spelled(n) for n in range(200, 1000, 100)
}
# Words that name the same thing in several spellings, folded to one.
_SAME_WORDS: Final = {"ft": "feat", "featuring": "feat"} | _SPELLED
_WORD_FOLDS: Final = frozenset(_SAME_WORDS)

# Latin diacritics only: marks on Cyrillic (й, ї) or kana (が) are part of the
# letter there, so folding them would merge distinct words.
_LATIN_MARKS: Final = re.compile(r"(?<=[a-z])[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_APOSTROPHES: Final = "'’‘ʼ`´ʹ′"
# Letters NFKD leaves alone although users type them with plain ASCII.
_LETTER_FOLDS: Final = {
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "þ": "th",
    "ı": "i",
    "ħ": "h",
    "ŧ": "t",
}


class _CharMap(dict[int, str | None]):
    """A ``str.translate`` table that classifies each code point once and caches it."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        result: str | None
        if char in _APOSTROPHES:
            result = None
        elif char == "&":
            result = " and "
        elif char in _LETTER_FOLDS:
            result = _LETTER_FOLDS[char]
        elif char.isspace():
            result = " "
        else:
            category = unicodedata.category(char)
            result = char if category[0] in "LNM" else " "
        self[code] = result
        return result


_CHAR_MAP: Final = _CharMap()
_FIXPOINT_ROUNDS: Final = 4


def _join_acronym(match: re.Match[str]) -> str:
    return match.group().replace(".", "")


def _fold_words(words: list[str]) -> list[str]:
    """Numbers up to 100 (and whole hundreds) spelled out in words, "ft"/"featuring" as "feat"."""
    out: list[str] = []
    for word in words:
        out.extend(_SAME_WORDS.get(word, word).split())
    return out


def _normalize_once(text: str) -> str:
    if text.isascii():
        # Every Unicode normal form of ASCII text is itself: skip straight to
        # the character classes, which is most catalog text and most queries.
        text = text.lower()
        if "." in text:
            text = _ACRONYM.sub(_join_acronym, text)
        text = text.translate(_CHAR_MAP)
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text))
        text = unicodedata.normalize("NFC", text)
        if "." in text:
            text = _ACRONYM.sub(_join_acronym, text)
        text = text.translate(_CHAR_MAP)
    words = text.split()
    if not _WORD_FOLDS.isdisjoint(words):
        words = _fold_words(words)
    while len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def normalize(text: str) -> str:
    """Fold ``text`` to the canonical form used for matching.

    Promises: the result is case-folded; compatibility forms (full-width letters,
    ligatures) are folded; Latin accents are removed (é→e, ß→ss, ø→o) while
    Cyrillic, CJK and other scripts keep their letters; punctuation and symbols
    become word breaks, except apostrophes, which vanish without splitting the
    word (don't→dont), and ``&``, which becomes ``and``; letters joined by dots
    are one word (Y.M.C.A.→ymca); numbers up to a hundred, and whole hundreds,
    are spelled in English words (7→seven, 21 and twenty-one→twenty one,
    100→one hundred); "ft" and "featuring" become "feat"; a leading "the" is
    dropped unless it is the only word; words are separated by single spaces.
    The function is idempotent and gives the same result for every Unicode
    normal form of the same text. It never raises on any ``str``.
    """
    result = _normalize_once(text)
    if result.isascii():
        # ASCII output is already lower-case letters, digits and single spaces.
        return result
    # Case folding and recomposition can interact on exotic code points, so
    # iterate to a fixed point to keep normalize(normalize(x)) == normalize(x).
    for _ in range(_FIXPOINT_ROUNDS):
        again = _normalize_once(result)
        if again == result:
            return result
        result = again
    return result


def strip_fillers(normalized: str) -> str:
    """Drop chat filler words from already normalised text.

    Promises: filler words ("karaoke", "lyrics", "version", "song", "by", "the",
    "please", ...) are removed from the start and the end of the text, and "by",
    "karaoke", "lyrics" also from inside it; the text is never emptied — if only
    fillers remain, the input is returned unchanged.
    """
    words = [word for word in normalized.split() if word not in _INNER_FILLERS]
    start, end = 0, len(words)
    while start < end and words[start] in FILLER_WORDS:
        start += 1
    while end > start and words[end - 1] in FILLER_WORDS:
        end -= 1
    kept = words[start:end]
    return " ".join(kept) if kept else normalized


def normalize_query(text: str) -> str:
    """Normalise a user's query: ``normalize`` followed by ``strip_fillers``.

    Promises: the same folding as ``normalize``; chat filler words such as
    "by", "karaoke", "version", "lyrics" and "song" around the song name are
    removed, unless the query consists only of such words.
    """
    return strip_fillers(normalize(text))
