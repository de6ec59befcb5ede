"""Link codes: short one-time codes a person sends from another identity to link the two.

8 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B; 25 left): about 1.5·10^11
codes, valid 10 minutes, guesses limited per identity. Only a SHA-256 of a code is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

LINK_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
LINK_LENGTH = 8
LINK_LIFETIME = timedelta(minutes=10)
# Wrong or right, an identity may try this many codes within the window, then waits.
LINK_ATTEMPTS = 5
LINK_ATTEMPT_WINDOW = timedelta(minutes=10)
# Where a new identity costs nothing (a web page: clear the cookie, join again), attempts are counted per
# address too; several people behind one venue's Wi-Fi may link in the same ten minutes, so it is wider.
LINK_ADDRESS_ATTEMPTS = 30
LINK_ADDRESS = "address"


def new_link_code(pick: Callable[[str], str] = secrets.choice) -> str:
    """A fresh code; ``pick`` chooses one character of the alphabet (a test passes its own)."""
    return "".join(pick(LINK_ALPHABET) for _ in range(LINK_LENGTH))


def normalize_link_code(typed: str) -> str | None:
    """The code as typed, upper-cased, without spaces or dashes; None when it cannot be a code at all."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != LINK_LENGTH or any(ch not in LINK_ALPHABET for ch in code):
        return None
    return code


def hash_link_code(code: str) -> str:
    """What the store keeps of a code: its SHA-256, hex."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
