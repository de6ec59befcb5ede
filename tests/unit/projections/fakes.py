"""Hand-written fakes of the projections' ports: checkpoints and views in dicts over the rotation's fake store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from core.projections import Performance, PerformanceRows, Progress, VersionMismatch
from core.rotation import StoredEvent
from core.rotation.joincode import normalize_join_code
from tests.unit.rotation.fakes import InMemoryShowStore


class View(Protocol):
    """A view in memory: what ``PerformanceRows`` is."""

    def write(self, changes: Sequence[object]) -> None: ...

    def clear(self) -> None: ...

    def clear_shows(self, show_ids: Sequence[str]) -> None: ...


class _Claim:
    def __init__(self, store: InMemoryProjectionStore, name: str, show_id: str, position: int) -> None:
        self._store = store
        self._name = name
        self._show_id = show_id
        self.position = position
        self.saved: tuple[Sequence[object], int] | None = None

    async def events(self, after: int, until: int) -> list[StoredEvent]:
        self._store.reads += 1
        stored, _ = await self._store.shows.load(self._show_id, after)
        return [s for s in stored if s.seq <= until]

    async def save(self, changes: Sequence[object], position: int) -> None:
        # Written when the claim ends without error, as a transaction would commit.
        self.saved = (list(changes), position)


class InMemoryProjectionStore:
    """A ``ProjectionStore`` in dicts, with the promises of the SQL one: a claim holds the show's checkpoint
    (other claimers wait), its changes and new checkpoint land together or not at all, and a reset waits for
    the claims in progress. ``fail_saves`` makes the next saves fail, as a database refusing the write would."""

    def __init__(self, shows: InMemoryShowStore, views: Mapping[str, View]) -> None:
        self.shows = shows
        self.views = dict(views)
        self.versions: dict[str, int] = {}
        self.positions: dict[tuple[str, str], int] = {}
        self.applied: list[tuple[str, str, int, int]] = []  # (name, show, from, to) of every committed claim
        self.reads = 0
        self.fail_saves = 0
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._resetting = asyncio.Lock()

    async def prepare(self, name: str, version: int) -> str:
        stored = self.versions.setdefault(name, version)
        if stored == version:
            return "current"
        if stored > version:
            return "newer"
        await self.reset(name, version)
        return "rebuilt"

    async def reset(self, name: str, version: int) -> None:
        async with self._resetting:
            for key in [k for k in self._locks if k[0] == name]:
                async with self._locks[key]:
                    pass
            self.views[name].clear()
            for key in [k for k in self.positions if k[0] == name]:
                del self.positions[key]
            self.applied = [entry for entry in self.applied if entry[0] != name]
            self.versions[name] = version

    async def restart_shows(self, show_ids: Sequence[str]) -> None:
        """As an erasure does in its transaction: the views forget the shows, which are applied again from seq 1
        (waiting for claims of them in progress)."""
        for name, view in self.views.items():
            for show_id in show_ids:
                async with self._locks.setdefault((name, show_id), asyncio.Lock()):
                    if (name, show_id) in self.positions:
                        self.positions[(name, show_id)] = 0
            view.clear_shows(show_ids)
        # Applied once each from here on: the record starts again with the streams.
        self.applied = [entry for entry in self.applied if entry[1] not in show_ids]

    async def behind(self, name: str, *, after: str | None = None, limit: int = 500) -> list[Progress]:
        found = []
        for show_id in sorted(self.shows.rows):
            if after is not None and show_id <= after:
                continue
            progress = await self.progress(name, show_id)
            if progress is not None and progress.behind:
                found.append(progress)
        return found[:limit]

    async def progress(self, name: str, show_id: str) -> Progress | None:
        version = await self.shows.version(show_id)
        if version is None:
            return None
        return Progress(show_id, self.positions.get((name, show_id), 0), version)

    @asynccontextmanager
    async def claim(self, name: str, version: int, show_id: str) -> AsyncIterator[_Claim]:
        async with self._resetting:
            pass  # a reset in progress is waited for
        stored = self.versions.get(name)
        if stored != version:
            raise VersionMismatch(name, stored, version)
        lock = self._locks.setdefault((name, show_id), asyncio.Lock())
        async with lock:
            position = self.positions.get((name, show_id), 0)
            claim = _Claim(self, name, show_id, position)
            yield claim
            if claim.saved is not None:
                if self.fail_saves > 0:
                    self.fail_saves -= 1
                    raise RuntimeError("the view refused the write")
                changes, moved = claim.saved
                self.views[name].write(changes)
                self.positions[(name, show_id)] = moved
                self.applied.append((name, show_id, position, moved))


class InMemoryPerformanceLog:
    """``PerformanceLog`` over ``PerformanceRows``: the view as the fake store wrote it."""

    def __init__(self, rows: PerformanceRows, shows: InMemoryShowStore) -> None:
        self.rows = rows
        self.shows = shows

    async def of_show(self, show_id: str) -> list[Performance]:
        return self.rows.of_show(show_id)

    async def of_person(self, person_id: str, *, limit: int = 100) -> list[Performance]:
        return self.rows.of_person(person_id, limit)

    async def show_with_code(self, code: str) -> str | None:
        wanted = normalize_join_code(code)
        listed = (await self.shows.list_shows(limit=len(self.shows.rows) or 1)).items  # newest first
        found = [s for s in listed if s.code == wanted]
        found.sort(key=lambda s: s.closed)  # the open one first, then the newest closed
        return found[0].show_id if found else None
