"""The source checks read their trees safely even when a collection runs code that parses."""

from __future__ import annotations

import ast
import gc
import sys
from pathlib import Path

import pytest

from tests.python_source import parse_file

REPO = Path(__file__).resolve().parents[2]
BIG = REPO / "core" / "chat" / "steps.py"


class _ParsesWhenCollected:
    """Garbage in a cycle that parses when the collector frees it, as a 3.11 traceback does to underline."""

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        ast.parse("result = first(a, b=[1, {2: 3}])\n")


def _litter(count: int) -> None:
    for _ in range(count):
        _ParsesWhenCollected()


def test_a_tree_is_read_whole_while_collected_garbage_parses() -> None:
    expected = ast.dump(ast.parse(BIG.read_text(encoding="utf-8")))
    gc.collect()
    for _ in range(10):
        _litter(2_000)
        assert ast.dump(parse_file(BIG)) == expected
    gc.collect()
    assert gc.isenabled()


def test_the_collector_is_left_as_it_was_found() -> None:
    gc.disable()
    try:
        parse_file(BIG)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the interpreter bug the guard is for is 3.11's")
def test_without_the_guard_this_python_fails_the_same_way() -> None:
    """The test above means something: on 3.11 a bare parse under the same litter dies (CPython gh-106905)."""
    gc.collect()
    failures = 0
    for _ in range(10):
        _litter(2_000)
        try:
            ast.parse(BIG.read_text(encoding="utf-8"))
        except SystemError as error:
            assert "recursion depth mismatch" in str(error)
            failures += 1
    gc.collect()
    assert failures > 0
