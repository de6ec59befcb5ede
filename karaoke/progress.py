"""A plain progress bar for terminals; silent when output is not a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO


def lines_with_progress(
    lines: Iterable[str], total_bytes: int, *, label: str, stream: TextIO | None = None
) -> Iterator[str]:
    """Yield ``lines`` unchanged, drawing a bar on ``stream`` (stderr) by bytes read, if it is a terminal."""
    out = stream or sys.stderr
    if not out.isatty() or total_bytes <= 0:
        yield from lines
        return
    done = 0
    last = 0.0
    for line in lines:
        done += len(line.encode("utf-8", "surrogatepass"))
        now = time.monotonic()
        if now - last > 0.1:
            _draw(out, label, done, total_bytes)
            last = now
        yield line
    _draw(out, label, total_bytes, total_bytes)
    out.write("\n")


def _draw(out: TextIO, label: str, done: int, total: int) -> None:
    fraction = min(done / total, 1.0)
    width = 30
    filled = int(width * fraction)
    out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {fraction:6.1%}")
    out.flush()
