"""Measuring JSON nesting without parsing: brackets in strings do not count, hostile depth costs nothing."""

from __future__ import annotations

import json

import pytest

from core.json_depth import MAX_DEPTH, json_depth, too_deep

DEPTHS = [
    (b"1", 0), (b'"text"', 0), (b"{}", 1), (b"[[[]]]", 3), (b'{"a": [1, {"b": []}]}', 4),
    (b'{"a": "[[[[{{{{"}', 1), (rb'{"a": "\" [[[ \""}', 1), (rb'{"a": "\\", "b": [[1]]}', 3),
    ("{\"naïve 🎤\": [\"]]]]\"]}".encode(), 2), (b"]]]][[", 2), (b"not json [", 1), (b"", 0),
]


@pytest.mark.parametrize(("text", "depth"), DEPTHS, ids=[t.decode("utf-8", "replace")[:20] for t, _ in DEPTHS])
def test_the_depth_counts_only_brackets_outside_strings(text: bytes, depth: int) -> None:
    assert json_depth(text) == depth
    assert json_depth(text.decode("utf-8")) == depth


def test_the_limit_is_400_levels() -> None:
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert too_deep(b"[" * 100_000)
    # Many brackets side by side are wide, not deep.
    assert not too_deep(b"[" + b"[]," * 10_000 + b"[]]")


def test_what_it_lets_through_python_can_parse() -> None:
    limit = json.loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert isinstance(limit, list)
