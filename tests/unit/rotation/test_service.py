"""The application service over a store: idempotency, optimistic concurrency, queries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import pytest

from core.rotation import (
    AdvanceQueue,
    AppendResult,
    Event,
    NotFound,
    Notice,
    QueueMoved,
    RotationService,
    ShowSettings,
    SingerRef,
    SongRef,
    StoredEvent,
    TooBusy,
    Undo,
)
from core.rotation.events import SingerJoined
from core.rotation.joincode import ALPHABET

from .fakes import ConflictingStore, CountingIds, InMemoryShowStore, RecordingSleeper, SteppingClock


def service_over(
    store: InMemoryShowStore, ids: str = "id", max_attempts: int = 20, cached_shows: int = 256
) -> tuple[RotationService, RecordingSleeper]:
    sleeper = RecordingSleeper()
    service = RotationService(store, SteppingClock(), CountingIds(ids), random.Random(7), sleeper,
                              max_attempts=max_attempts, cached_shows=cached_shows)
    return service, sleeper


def alice() -> SingerRef:
    return SingerRef("telegram", "111", "Alice")


def song(n: int) -> SongRef:
    return SongRef(f"song-{n}", f"Song {n}", "Band", 200)


async def test_opening_a_show_gives_a_join_code_singers_can_type() -> None:
    store = InMemoryShowStore()
    service, _ = service_over(store)
    started = await service.open_show("open-1", "Friday night", ShowSettings(policy="fifo"))
    assert len(started.code) == 5
    assert set(started.code) <= set(ALPHABET)
    assert not set("01OI") & set(started.code)
    assert await service.find_show(started.code.lower()) == started.show_id
    assert [s.name for s in (await service.list_shows()).items] == ["Friday night"]


async def test_opening_twice_with_the_same_command_id_returns_the_same_show() -> None:
    service, _ = service_over(InMemoryShowStore())
    first = await service.open_show("open-1", "Friday night")
    again = await service.open_show("open-1", "Friday night")
    assert again == first


async def test_a_repeated_command_is_applied_once_and_answered_as_the_first_time() -> None:
    store = InMemoryShowStore()
    service, _ = service_over(store)
    show = (await service.open_show("open", "Night")).show_id
    first = await service.request_song(show, "req-1", alice(), song(1))
    events_after_first = len(await service.log(show))
    await service.request_song(show, "req-2", SingerRef("telegram", "222", "Bob"), song(2))
    again = await service.request_song(show, "req-1", alice(), song(1))
    assert again == first
    assert first.position == 1 and first.joined
    assert len(await service.log(show)) == events_after_first + 2


async def test_a_repeated_advance_does_not_advance_twice() -> None:
    service, _ = service_over(InMemoryShowStore())
    show = (await service.open_show("open", "Night")).show_id
    await service.request_song(show, "r1", alice(), song(1))
    await service.request_song(show, "r2", SingerRef("slack", "U2", "Bob"), song(2))
    first = await service.execute(show, AdvanceQueue("adv-1"))
    second = await service.execute(show, AdvanceQueue("adv-1"))
    assert isinstance(first, QueueMoved)
    assert second == first
    queue = await service.queue(show)
    assert queue.now is not None and queue.now.song.song_id == "song-1"


async def test_a_concurrency_conflict_is_retried_on_fresh_state() -> None:
    def bystander(n: int) -> Event:
        from .harness import START

        return SingerJoined(f"bystander-{n}", f"Bystander {n}", None, None, START)

    store = ConflictingStore(conflicts=3, intruder=bystander)
    service, sleeper = service_over(store)
    show = (await service.open_show("open", "Night")).show_id
    accepted = await service.request_song(show, "req", alice(), song(1))
    assert store.intrusions == 3
    assert len(sleeper.pauses) == 3
    assert all(0 < pause < 0.1 for pause in sleeper.pauses)
    state = await service.state(show)
    assert [state.singers[s].name for s in state.rotation] == [
        "Bystander 1",
        "Bystander 2",
        "Bystander 3",
        "Alice",
    ]
    assert accepted.version == state.version


async def test_the_service_gives_up_after_too_many_conflicts() -> None:
    def bystander(n: int) -> Event:
        from .harness import START

        return SingerJoined(f"b-{n}", f"B {n}", None, None, START)

    store = ConflictingStore(conflicts=100, intruder=bystander)
    service, _ = service_over(store, max_attempts=5)
    show = (await service.open_show("open", "Night")).show_id
    with pytest.raises(TooBusy) as refused:
        await service.request_song(show, "req", alice(), song(1))
    assert refused.value.code == "busy"


class InterleavingStore(InMemoryShowStore):
    """Yields to other tasks between reading and writing, as a real database would."""

    async def load(self, show_id: str, after_seq: int = 0) -> tuple[list[StoredEvent], int]:
        result = await super().load(show_id, after_seq)
        await asyncio.sleep(0)
        return result

    async def append(
        self, show_id: str, expected_version: int, events: Sequence[Event], command_id: str,
        notices: Sequence[Notice] = (),
    ) -> AppendResult:
        await asyncio.sleep(0)
        return await super().append(show_id, expected_version, events, command_id, notices)


async def test_concurrent_requests_from_many_singers_all_land_exactly_once() -> None:
    store = InterleavingStore()
    service, sleeper = service_over(store)
    show = (await service.open_show("open", "Night")).show_id
    singers = [SingerRef("telegram", str(n), f"Singer {n}") for n in range(8)]
    results = await asyncio.gather(
        *(service.request_song(show, f"req-{n}", who, song(n)) for n, who in enumerate(singers))
    )
    state = await service.state(show)
    assert len(state.requests) == 8
    assert len({r.version for r in results}) == 8
    assert sleeper.pauses == [], "one process takes turns per show, so it never collides with itself"


async def test_two_instances_over_one_store_collide_retry_and_lose_nothing() -> None:
    store = InterleavingStore()
    first, first_sleeper = service_over(store)
    second, second_sleeper = service_over(store, ids="other")
    show = (await first.open_show("open", "Night")).show_id
    singers = [SingerRef("telegram", str(n), f"Singer {n}") for n in range(12)]
    results = await asyncio.gather(
        *(
            (first if n % 2 else second).request_song(show, f"req-{n}", who, song(n))
            for n, who in enumerate(singers)
        )
    )
    assert len({r.version for r in results}) == 12
    assert first_sleeper.pauses or second_sleeper.pauses, "interleaved instances should have collided"
    for service in (first, second):
        state = await service.state(show)
        assert sorted(r.song.song_id for r in state.requests.values()) == sorted(f"song-{n}" for n in range(12))
    again = await second.request_song(show, "req-1", singers[1], song(1))
    assert again == results[1], "a command the other instance applied answers as it first did"


async def test_queries_answer_from_the_stream() -> None:
    service, _ = service_over(InMemoryShowStore())
    show = (await service.open_show("open", "Night")).show_id
    await service.request_song(show, "r1", alice(), song(1))
    await service.request_song(show, "r2", alice(), song(2))
    await service.execute(show, AdvanceQueue("a1"))
    await service.execute(show, AdvanceQueue("a2"))
    assert [h.song.song_id for h in await service.history(show)] == ["song-1"]
    mine = await service.my_requests(show, alice())
    assert mine == ()
    assert await service.my_requests(show, SingerRef("telegram", "999", "Nobody")) == ()
    undone = await service.execute(show, Undo("u1"))
    assert undone.version == len(await service.log(show))
    assert [r.song.song_id for r in await service.my_requests(show, alice())] == ["song-2"]


async def test_an_unknown_show_is_not_found() -> None:
    service, _ = service_over(InMemoryShowStore())
    with pytest.raises(NotFound):
        await service.queue("no-such-show")
    with pytest.raises(NotFound):
        await service.execute("no-such-show", AdvanceQueue("a"))


class GatedStore(InMemoryShowStore):
    """Holds every read until the gate opens, so concurrent readers all load the same new events."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self, show_id: str, after_seq: int = 0) -> tuple[list[StoredEvent], int]:
        result = await super().load(show_id, after_seq)
        await self.gate.wait()
        return result


async def test_concurrent_reads_of_a_show_never_count_its_new_events_twice() -> None:
    store = GatedStore()
    service, _ = service_over(store)
    show = (await service.open_show("open", "Night")).show_id
    writer, _ = service_over(store, ids="other")
    await writer.request_song(show, "req-1", alice(), song(1))
    await writer.request_song(show, "req-2", SingerRef("telegram", "2", "Bob"), song(2))
    store.gate.clear()
    readers = [asyncio.create_task(service.queue(show)) for _ in range(5)]
    await asyncio.sleep(0.01)
    store.gate.set()
    views = await asyncio.gather(*readers)
    assert {view.version for view in views} == {len(store.rows[show])}
    assert len((await service.state(show)).requests) == 2
    await service.request_song(show, "req-3", SingerRef("telegram", "3", "Cy"), song(3))
    assert (await service.state(show)).version == len(store.rows[show])


async def test_readers_of_a_busy_show_share_loads_and_none_answers_from_one_begun_before_it_asked() -> None:
    store = GatedStore()
    service, _ = service_over(store)
    show = (await service.open_show("open", "Night")).show_id
    writer, _ = service_over(store, ids="other")
    await writer.state(show)  # its copy is cached: its request below reads nothing first
    store.gate.clear()
    early = asyncio.create_task(service.queue(show))
    await asyncio.sleep(0.01)  # its load has read the stream and waits at the gate
    await writer.request_song(show, "req-1", alice(), song(1))  # another instance, after that load began
    loads_before = store.loads
    later = [asyncio.create_task(service.queue(show)) for _ in range(4)]
    await asyncio.sleep(0.01)
    store.gate.set()
    first, *rest = await asyncio.gather(early, *later)
    assert first.upcoming == (), "the early reader asked before the song was requested"
    assert all([slot.song.song_id for slot in view.upcoming] == ["song-1"] for view in rest), \
        "every later reader sees what was stored before it asked"
    assert store.loads - loads_before == 1, "the four later readers shared one load"
