"""How deeply a JSON text nests, measured without parsing it, so a hostile body never reaches a recursive parser.

Python's ``json.loads`` recurses once per nested array or object; 100,000 ``[`` raise ``RecursionError``
(a 500, and a long traceback) instead of ``ValueError``. The edges that read JSON from strangers call
``too_deep`` on the raw text first and refuse it before parsing. The scan is a loop over the bytes: brackets
inside strings (and escaped quotes) do not count.
"""

from __future__ import annotations

import re

import numpy as np

MAX_DEPTH = 400
"""The deepest nesting any edge accepts; every real Telegram update, Slack payload or API body is far shallower."""

# Only these bytes matter; the regex skips everything between them at C speed.
_SPECIAL = re.compile(rb'[\[\]{}"\\]')
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")
# For ``too_deep``: a JSON string (escapes included; an unterminated one runs to the end of the input, so
# the scan stays linear), the bytes that are not brackets, and each bracket as a step up or down.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")


def json_depth(text: bytes | str, *, stop_above: int | None = None) -> int:
    """The deepest nesting of arrays and objects in ``text`` (0 for a scalar), counted without recursion.

    ``text`` need not be valid JSON: it is only scanned, never parsed, and brackets inside strings are
    skipped. With ``stop_above`` the scan ends as soon as the depth exceeds it (so it costs nothing more on
    a huge hostile body) and that depth is returned.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = deepest = 0
    in_string = False
    escaped_at = -1
    for match in _SPECIAL.finditer(data):
        at = match.start()
        byte = data[at]
        if in_string:
            if at == escaped_at:
                continue
            if byte == _BACKSLASH:
                escaped_at = at + 1
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    return deepest
        elif byte in _CLOSE:
            depth = max(depth - 1, 0)
    return deepest


def too_deep(text: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests arrays or objects more than ``limit`` levels deep.

    Linear in the length at C speed, whatever the input: strings are cut out with one regex pass (an
    unterminated one runs to the end), the brackets left become +1/-1 steps, and the deepest running sum
    is the depth. A body of a million ``[`` is answered as fast as a flat one.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    # Nesting needs an opening bracket per level: most bodies have too few to be too deep, counted at C speed.
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return False
    steps = np.frombuffer(brackets.translate(_STEPS), dtype=np.int8)
    return int(np.cumsum(steps, dtype=np.int32).max()) > limit
