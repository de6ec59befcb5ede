"""Short join codes singers can type from a screen or a flyer."""

from __future__ import annotations

from core.rotation.ports import RandomSource

# No 0/O and 1/I: they are read aloud and typed on phones, where those pairs get confused.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_join_code(random: RandomSource, length: int = 5) -> str:
    """A code of ``length`` (4-6) characters from ``ALPHABET``, drawn from ``random``."""
    if not 4 <= length <= 6:
        raise ValueError("join codes are 4 to 6 characters long")
    return "".join(ALPHABET[random.randrange(len(ALPHABET))] for _ in range(length))


def normalize_join_code(text: str) -> str:
    """The code as stored: upper case, spaces and dashes removed."""
    return text.strip().upper().replace(" ", "").replace("-", "")
