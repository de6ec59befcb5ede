"""Notices on real databases, beyond the contract every notice store keeps (``tests/contracts``): the show
store's wake-up when notices come due at once, and tickers of several instances claiming at the same time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.rotation import Notice, ShowSettings
from core.rotation.events import ShowOpened, SingerJoined
from karaoke.bootstrap import Container
from storage.notices import SqlNoticeStore

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
SHOW = "00000000-0000-0000-0000-0000000000a1"


def notice(kind: str, request: str = "r1", due: datetime = NOW) -> Notice:
    return Notice(f"{SHOW}:{request}:{kind}:0", SHOW, request, kind, due)


async def opened_show(container: Container) -> None:
    await container.shows.append(SHOW, 0, [ShowOpened(SHOW, "Night", "NOTIC", ShowSettings(), NOW, NOW)], "open")


async def test_an_append_storing_a_notice_due_at_once_wakes_this_processs_ticker(container: Container) -> None:
    await opened_show(container)
    joined = [SingerJoined("s1", "Ann", "telegram", "1", NOW)]
    await container.shows.append(SHOW, 1, joined, "later", [notice("soon", due=NOW + timedelta(minutes=5))])
    assert not container.shows.notices_due.is_set()
    await container.shows.append(SHOW, 2, joined, "now", [notice("up")])
    assert container.shows.notices_due.is_set()


async def test_concurrent_tickers_never_claim_the_same_notice(container: Container) -> None:
    await opened_show(container)
    stores = [SqlNoticeStore(container.engine) for _ in range(4)]
    await stores[0].add([notice("up", request=f"r{n}") for n in range(60)], NOW)
    batches = await asyncio.gather(*(s.claim_due(NOW, 10) for s in stores for _ in range(3)))
    keys = [c.key for batch in batches for c in batch]
    assert len(keys) == 60 and len(set(keys)) == 60
