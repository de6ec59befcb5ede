"""This repository's own Python files read as syntax trees, for the tests that check the shape of the code."""

from __future__ import annotations

import ast
import gc
from pathlib import Path


def parse_file(path: Path) -> ast.Module:
    """``ast.parse`` of ``path``, with the garbage collector held off while the tree is built.

    On Python 3.11 the tree builder keeps one recursion count for the whole interpreter. A collection in the
    middle of a build can run a finalizer that parses too (an asyncio task left with its error unread logs that
    error, and 3.11 parses the failing line to underline it), and the outer build then dies with "SystemError:
    AST constructor recursion depth mismatch" (CPython gh-106905). CI failed that way once. With no collection,
    the build runs no Python code, so nothing can parse in between: not this thread, not another one.
    """
    source = path.read_text(encoding="utf-8")
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, filename=str(path))
    finally:
        if enabled:
            gc.enable()
