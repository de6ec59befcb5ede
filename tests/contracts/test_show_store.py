"""The ``ShowStore`` contract on the fake, SQLite and PostgreSQL: append-only streams, optimistic
concurrency, idempotent command ids, join codes, and shows listed without folding them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.rotation import ConcurrencyConflict, ShowSettings, ShowStore
from core.rotation.events import ShowClosed, ShowOpened, ShowSettingsChanged, SingerJoined
from tests.contracts.conftest import NOW


def show(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def opened(show_id: str, code: str = "ABCDE", minutes: int = 0, settings: ShowSettings | None = None) -> ShowOpened:
    at = NOW + timedelta(minutes=minutes)
    return ShowOpened(show_id, f"Night {code}", code, settings or ShowSettings(), at, at)


async def test_a_stream_is_appended_in_order_and_read_back_from_any_point(shows: ShowStore) -> None:
    show_id = show(1)
    first = await shows.append(show_id, 0, [opened(show_id)], "open")
    joined = [SingerJoined(f"s{n}", f"Singer {n}", None, None, NOW) for n in range(3)]
    second = await shows.append(show_id, 1, joined, "join")
    assert (first.first_seq, first.last_seq, second.first_seq, second.last_seq) == (1, 1, 2, 4)
    events, version = await shows.load(show_id)
    assert version == 4 and [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.event for e in events] == [opened(show_id), *joined]
    assert [e.command_id for e in events] == ["open", "join", None, None], "a batch is marked on its first event"
    later, version = await shows.load(show_id, after_seq=2)
    assert [e.seq for e in later] == [3, 4] and version == 4
    nothing, version = await shows.load(show_id, after_seq=4)
    assert nothing == [] and version == 4
    assert await shows.version(show_id) == 4
    assert await shows.load(show(99)) == ([], 0) and await shows.version(show(99)) is None


async def test_a_stale_version_or_a_repeated_command_writes_nothing(shows: ShowStore) -> None:
    show_id = show(2)
    await shows.append(show_id, 0, [opened(show_id)], "open")
    await shows.append(show_id, 1, [SingerJoined("a", "A", None, None, NOW)], "join-a")
    with pytest.raises(ConcurrencyConflict):
        await shows.append(show_id, 1, [SingerJoined("b", "B", None, None, NOW)], "join-b")
    with pytest.raises(ConcurrencyConflict):
        await shows.append(show_id, 2, [SingerJoined("c", "C", None, None, NOW)], "join-a")
    with pytest.raises(ConcurrencyConflict):
        await shows.append(show_id, 0, [opened(show_id)], "open-again")
    events, version = await shows.load(show_id)
    assert version == 2 and len(events) == 2


async def test_open_shows_are_found_by_their_code_and_never_share_one(shows: ShowStore) -> None:
    one, two, three = show(10), show(11), show(12)
    await shows.append(one, 0, [opened(one, "SAME1")], "open")
    assert await shows.find_show_by_code("same1") == one
    with pytest.raises(ConcurrencyConflict):
        await shows.append(two, 0, [opened(two, "SAME1")], "open")
    await shows.append(one, 1, [ShowClosed(NOW)], "close")
    assert await shows.find_show_by_code("SAME1") is None, "a closed show is found no more"
    await shows.append(three, 0, [opened(three, "SAME1")], "open")
    assert await shows.find_show_by_code("SAME1") == three, "and its code is free again"


async def test_shows_are_listed_newest_first_a_page_at_a_time_with_their_current_settings(shows: ShowStore) -> None:
    for n in range(5):
        await shows.append(show(20 + n), 0, [opened(show(20 + n), f"CODE{n}", minutes=n)], "open")
    await shows.append(show(21), 1, [ShowSettingsChanged(ShowSettings(max_pending=7), NOW)], "settings")
    await shows.append(show(22), 1, [ShowClosed(NOW)], "close")
    page = await shows.list_shows(limit=2)
    assert page.total == 5 and [s.show_id for s in page.items] == [show(24), show(23)]
    rest = await shows.list_shows(limit=10, offset=2)
    assert [s.show_id for s in rest.items] == [show(22), show(21), show(20)]
    changed = next(s for s in rest.items if s.show_id == show(21))
    assert (changed.name, changed.code, changed.version, changed.settings.max_pending) == ("Night CODE1", "CODE1", 2, 7)
    assert changed.opened_at == NOW + timedelta(minutes=1) and not changed.closed
    closed = await shows.list_shows("closed")
    assert [(s.show_id, s.closed) for s in closed.items] == [(show(22), True)] and closed.total == 1
    assert (await shows.list_shows("open")).total == 4
