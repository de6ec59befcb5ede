"""Hand-written fakes of the rotation's ports for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from core.rotation import (
    AppendResult,
    ConcurrencyConflict,
    Event,
    Notice,
    ShowPage,
    StoredEvent,
    event_from_dict,
    event_to_dict,
    fold,
)
from core.rotation.events import ShowOpened


class InMemoryShowStore:
    """A ``ShowStore`` in dicts, with the same semantics a SQL ``show_events`` table would have.

    Events go through the codec on the way in and out, as they would through a JSON column.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[int, str, dict[str, object], str | None]]] = {}
        self.appends = 0
        self.loads = 0
        # Every notice appended, with when (its batch's last event): the notice store's fake reads them in order.
        self.notices: list[tuple[Notice, datetime]] = []

    async def load(self, show_id: str, after_seq: int = 0) -> tuple[list[StoredEvent], int]:
        self.loads += 1
        rows = self.rows.get(show_id, [])[after_seq:]
        stored = [
            StoredEvent(seq, event_from_dict(kind, dict(payload)), cid) for seq, kind, payload, cid in rows
        ]
        return stored, (stored[-1].seq if stored else after_seq)

    async def append(
        self,
        show_id: str,
        expected_version: int,
        events: Sequence[Event],
        command_id: str,
        notices: Sequence[Notice] = (),
    ) -> AppendResult:
        rows = self.rows.setdefault(show_id, [])
        if len(rows) != expected_version:
            raise ConcurrencyConflict(f"expected version {expected_version}, found {len(rows)}")
        if any(cid == command_id for _, _, _, cid in rows):
            raise ConcurrencyConflict(f"command {command_id} already recorded")
        assert events, "a batch is never empty"
        first = events[0]
        if expected_version == 0 and isinstance(first, ShowOpened) and await self.find_show_by_code(first.code):
            raise ConcurrencyConflict(f"an open show already has the code {first.code}")
        for index, event in enumerate(events):
            kind, payload = event_to_dict(event)
            rows.append((expected_version + index + 1, kind, payload, command_id if index == 0 else None))
        self.notices += [(notice, events[-1].occurred_at) for notice in notices]
        self.appends += 1
        return AppendResult(expected_version + 1, expected_version + len(events))

    async def find_show_by_code(self, code: str) -> str | None:
        for summary in (await self.list_shows(limit=len(self.rows) or 1)).items:
            if summary.code.upper() == code.upper() and not summary.closed:
                return summary.show_id
        return None

    async def list_shows(self, status: str | None = None, *, limit: int = 50, offset: int = 0) -> ShowPage:
        summaries = []
        for show_id, rows in self.rows.items():
            if not rows:
                continue
            summary = fold(s.event for s in (await self.load(show_id))[0]).summary()
            if status is None or summary.closed == (status == "closed"):
                summaries.append(summary)
        summaries.sort(key=lambda s: s.show_id)
        summaries.sort(key=lambda s: s.opened_at, reverse=True)
        return ShowPage(summaries[offset : offset + limit], len(summaries))

    async def version(self, show_id: str) -> int | None:
        rows = self.rows.get(show_id)
        return len(rows) if rows else None


class ConflictingStore(InMemoryShowStore):
    """Before each of the next ``conflicts`` appends, another writer sneaks in an event of its own."""

    def __init__(self, conflicts: int, intruder: Callable[[int], Event]) -> None:
        super().__init__()
        self.conflicts = conflicts
        self.intruder = intruder
        self.intrusions = 0

    async def append(
        self,
        show_id: str,
        expected_version: int,
        events: Sequence[Event],
        command_id: str,
        notices: Sequence[Notice] = (),
    ) -> AppendResult:
        if self.conflicts > 0 and expected_version > 0:
            self.conflicts -= 1
            self.intrusions += 1
            await super().append(
                show_id, expected_version, [self.intruder(self.intrusions)], f"intruder-{self.intrusions}"
            )
        return await super().append(show_id, expected_version, events, command_id, notices)


class SteppingClock:
    """A clock that starts at a fixed moment and moves only when told to."""

    def __init__(self, start: datetime = datetime(2026, 3, 14, 20, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def tick(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class CountingIds:
    """Ids ``id-1``, ``id-2``... so tests can predict them (a prefix keeps two instances apart)."""

    def __init__(self, prefix: str = "id") -> None:
        self.count = 0
        self.prefix = prefix

    def new_id(self) -> str:
        self.count += 1
        return f"{self.prefix}-{self.count}"


class RecordingSleeper:
    """Remembers the pauses asked for instead of sleeping."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
