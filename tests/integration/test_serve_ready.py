"""``karaoke serve`` freezes what it built before it says it is up.

The catalog's search index is hundreds of thousands of long-lived objects. Unfrozen, every full
collection walks them all (150-200 ms measured with the KaraFun catalog), and every update in flight
waits. The freeze must come once the index is built, and before the service reports itself ready:
by then traffic may arrive.
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from karaoke.cli import _announce_when_ready


@dataclass
class _Search:
    ready: bool = False


@dataclass
class _Container:
    search: _Search = field(default_factory=_Search)
    admin_token_generated: bool = False
    frozen_when_asked: list[int] = field(default_factory=list)  # the freeze count each readiness check saw

    async def readiness_problem(self) -> str | None:
        self.frozen_when_asked.append(gc.get_freeze_count())
        return None if self.search.ready else "The search index is still being built."


class _Socket:
    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 8000)


@dataclass
class _Listening:
    sockets: list[_Socket] = field(default_factory=lambda: [_Socket()])


@dataclass
class _Server:
    started: bool = True
    servers: list[_Listening] = field(default_factory=lambda: [_Listening()])


async def test_the_heap_is_frozen_once_the_index_is_built_and_before_it_says_it_is_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gc.unfreeze()
    container = _Container()
    announcing = asyncio.create_task(_announce_when_ready(cast(Any, container), cast(Any, _Server()), "127.0.0.1"))
    try:
        await asyncio.sleep(0.3)
        assert gc.get_freeze_count() == 0, "frozen before the index was built: its objects would be left out"
        assert "Karaoke is up" not in capsys.readouterr().out
        container.search.ready = True
        await asyncio.wait_for(announcing, timeout=10)
        assert "Karaoke is up: http://127.0.0.1:8000" in capsys.readouterr().out
        assert container.frozen_when_asked[-1] > 0, "it said it was ready before freezing"
    finally:
        announcing.cancel()
        await asyncio.gather(announcing, return_exceptions=True)
        gc.unfreeze()  # this test's process is not a service: its heap is not for keeping
