"""``ProjectionRunner``: keeps every projection up with the shows' streams, in the background and on demand.

In the background (``start``/``stop``, one per instance) it follows the shows that announce a change
(``core.wakeups.SHOWS``: any instance's append, as it commits) and, as a slow safety net and after lost
announcements, every show whose checkpoint is behind its version. A reader that needs one show's view
current (the history page right after a change) calls ``catch_up`` for that show; it is cheap when
nothing is new (one unlocked read).

Each pass over a show is one transaction under its checkpoint's lock (``ProjectionStore.claim``): several
instances may try the same show at once, one applies the events and the others find nothing left, so an
event is applied exactly once. The runner folds each stream itself (in place, from where it stopped), so
a projection sees the rotation's own state after every event.

A projection that fails never holds up the write side, which does not wait for it: the show it failed on
is retried with a growing back-off (other shows go on), the first failure is logged with its traceback
and the recovery once, and ``health`` says which projection is failing, for ``/readyz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock, Monotonic
from core.projections.ports import Projection, ProjectionStore, Step, VersionMismatch
from core.repeat import RETRY_SECONDS, NoOutages, Outages, _Loop
from core.rotation.state import ShowState, fold_onto
from core.wakeups import SHOWS, Wakeups

logger = logging.getLogger(__name__)

PAGE = 500
CURRENT, REBUILT, NEWER = "current", "rebuilt", "newer"


@dataclass(slots=True)
class _Failure:
    since: datetime
    attempts: int
    retry_at: float
    error: str


@dataclass(frozen=True, slots=True)
class ProjectionHealth:
    """How one projection fares in this instance: ``ok``, ``failing`` (retrying) or ``stopped`` (the database
    holds a newer version of it, which newer instances run); ``detail`` says it in a sentence."""

    name: str
    status: str
    detail: str


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What one catch-up over every show did: shows and events applied, shows that failed."""

    shows: int = 0
    events: int = 0
    failed: int = 0

    def __add__(self, other: CatchUp) -> CatchUp:
        return CatchUp(self.shows + other.shows, self.events + other.events, self.failed + other.failed)


class ProjectionRunner(_Loop):
    """Applies the shows' events to ``projections``; see the module's docstring."""

    name = "projections"

    def __init__(
        self,
        store: ProjectionStore,
        projections: Sequence[Projection],
        *,
        clock: Clock,
        monotonic: Monotonic,
        wakeups: Wakeups | None = None,
        safety_net_seconds: float = 15.0,
        outages: Outages | None = None,
        batch: int = 500,
        cached_shows: int = 256,
        first_retry_seconds: float = 1.0,
        longest_retry_seconds: float = 60.0,
        parallel: int = 4,
        settle_seconds: float = 0.25,
    ) -> None:
        """``batch`` events at most per transaction; ``cached_shows`` folded streams kept between passes per
        projection; a show that failed is tried again after ``first_retry_seconds``, doubling up to
        ``longest_retry_seconds``. Failures ``outages`` absorbs (the database away) are the outage's to log.
        Catching up every show works on ``parallel`` shows at a time. Woken in the background, the runner waits
        ``settle_seconds`` for the rest of a burst before it looks."""
        names = [p.name for p in projections]
        if len(set(names)) != len(names):
            raise ValueError(f"projections named twice: {names}")
        self._store = store
        self._projections = {p.name: p for p in projections}
        self._clock = clock
        self._monotonic = monotonic
        self._wakeups = wakeups
        self._safety = safety_net_seconds
        self._outages: Outages = outages or NoOutages()
        self._batch = batch
        self._cached_shows = cached_shows
        self._first_retry = first_retry_seconds
        self._longest_retry = longest_retry_seconds
        self._parallel = parallel
        self._settle = settle_seconds
        self._prepared: dict[str, str] = {}
        self._states: OrderedDict[tuple[str, str], ShowState] = OrderedDict()
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._failures: dict[tuple[str, str], _Failure] = {}
        self._failing_since: dict[str, float] = {}
        self._dirty: set[str] = set()
        self._look_again = True
        # Set when the database was away during a pass: look at every show again once it answers.
        self._outage = False
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def names(self) -> list[str]:
        """The projections this runner applies, in the order given."""
        return list(self._projections)

    # --- on demand ------------------------------------------------------------------------------------

    async def catch_up(self, name: str, show_id: str) -> bool:
        """Apply what ``name`` has not applied of the show, now. False when it could not: the projection
        fails on this show (it is retried with back-off; the caller reads what the view has) or is stopped
        here. Never raises for a failure of the projection or the database."""
        try:
            projection = await self._ready(name)
        except Exception as error:
            if not self._outages.absorbs(error):
                logger.warning("projection %s could not start", name, exc_info=True)
            return False
        if projection is None:
            return False
        return await self._guarded(projection, show_id) is not None

    async def catch_up_all(self, name: str | None = None) -> CatchUp:
        """Bring every show up to date (for ``name`` only, or every projection), except shows waiting out a
        failure's back-off. Raises only when the shows behind cannot be listed (the database away)."""
        done = CatchUp()
        for projection_name in [name] if name is not None else self.names:
            projection = await self._ready(projection_name)
            if projection is None:
                continue
            after: str | None = None
            while True:
                page = await self._store.behind(projection.name, after=after, limit=PAGE)
                # A few shows at a time: one's database round trips overlap another's folding.
                turns = asyncio.Semaphore(self._parallel)
                followed = [self._taking_turns(turns, projection, p.show_id) for p in page]
                for applied in await asyncio.gather(*followed):
                    done += CatchUp(1, applied, 0) if applied is not None else CatchUp(0, 0, 1)
                if len(page) < PAGE:
                    break
                after = page[-1].show_id
        return done

    async def _taking_turns(self, turns: asyncio.Semaphore, projection: Projection, show_id: str) -> int | None:
        async with turns:
            return await self._guarded(projection, show_id)

    async def rebuild(self, name: str) -> CatchUp:
        """Clear the view ``name`` and apply every show's stream again from its first event (other instances
        following meanwhile help; each event is still applied once). Raises ``KeyError`` for an unknown name."""
        projection = self._projections[name]
        await self._store.reset(name, projection.version)
        self._prepared[name] = CURRENT
        self._forget(name)
        return await self.catch_up_all(name)

    def health(self) -> list[ProjectionHealth]:
        """How each projection fares in this instance (for ``/readyz``'s details)."""
        found = []
        for name in self._projections:
            if self._prepared.get(name) == NEWER:
                found.append(ProjectionHealth(name, "stopped", "stopped here: the database holds a newer version "
                                                               "of it, which newer instances keep up"))
                continue
            failures = [f for (n, _), f in self._failures.items() if n == name]
            if not failures:
                found.append(ProjectionHealth(name, "ok", "ok"))
                continue
            first = min(failures, key=lambda f: f.since)
            shows = f"{len(failures)} show" + ("" if len(failures) == 1 else "s")
            found.append(ProjectionHealth(
                name, "failing",
                f"failing since {first.since:%Y-%m-%d %H:%M:%S} UTC on {shows} ({first.error}); retrying with "
                f"back-off, the rotation is not affected"))
        return found

    # --- in the background -----------------------------------------------------------------------------

    async def run(self) -> None:
        """The loop itself, until cancelled: every show at first, then the ones announced, every show again
        each safety net (or after lost announcements), and failed shows when their back-off ends."""
        stop_listening: Callable[[], None] = (
            self._wakeups.listen(SHOWS, None, self._heard) if self._wakeups is not None else _nothing
        )
        next_scan = self._monotonic()
        try:
            while True:
                self._woken.clear()
                wait = self._safety
                try:
                    if self._look_again or self._monotonic() >= next_scan:
                        self._look_again = False
                        self._dirty.clear()
                        next_scan = self._monotonic() + self._safety
                        await self.catch_up_all()
                    else:
                        dirty, self._dirty = sorted(self._dirty), set()
                        for name in self.names:
                            projection = await self._ready(name)
                            if projection is not None:
                                for show_id in dirty:
                                    await self._guarded(projection, show_id)
                    await self._retry_due()
                    if self._outage:
                        self._outage, self._look_again = False, True
                        wait = RETRY_SECONDS
                except Exception as error:
                    if not self._outages.absorbs(error):
                        logger.warning("projections: looking for shows to follow failed; retrying", exc_info=True)
                    self._look_again = True
                    wait = RETRY_SECONDS
                now = self._monotonic()
                wait = min(wait, max(0.0, next_scan - now))
                retries = [f.retry_at for f in self._failures.values()]
                if retries:
                    wait = min(wait, max(0.05, min(retries) - now))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._woken.wait()
                if self._woken.is_set() and self._settle > 0:
                    # A burst of changes (a rush of requests) is then one pass per show, not one per change; a
                    # reader who needs the show current catches it up itself meanwhile.
                    await asyncio.sleep(self._settle)
        finally:
            stop_listening()

    def _heard(self, show_id: str, data: str | None) -> None:
        if data is None:
            self._look_again = True  # announcements were lost: look at every show
        else:
            self._dirty.add(show_id)
        self._woken.set()

    async def _retry_due(self) -> None:
        now = self._monotonic()
        for (name, show_id), failure in sorted(self._failures.items()):
            projection = self._projections.get(name)
            if failure.retry_at <= now and projection is not None and self._prepared.get(name) == CURRENT:
                await self._guarded(projection, show_id)

    # --- one show ---------------------------------------------------------------------------------------

    async def _ready(self, name: str) -> Projection | None:
        """The projection, once registered in the database at its version; None while stopped here."""
        projection = self._projections[name]
        status = self._prepared.get(name)
        if status is None:
            status = await self._store.prepare(name, projection.version)
            if status == REBUILT:
                logger.warning("projection %s changed (now version %d): its view was cleared and is built again "
                               "from the event log", name, projection.version)
                status = CURRENT
            elif status == NEWER:
                logger.warning("projection %s: the database holds a newer version than this instance runs (%d); "
                               "this instance leaves it to the newer ones", name, projection.version)
            self._prepared[name] = status
            self._forget(name)
        return projection if status == CURRENT else None

    async def _guarded(self, projection: Projection, show_id: str) -> int | None:
        """Follow the show unless it waits out a failure's back-off; the events applied, None if it failed."""
        key = (projection.name, show_id)
        failure = self._failures.get(key)
        if failure is not None and failure.retry_at > self._monotonic():
            return None
        try:
            applied = await self._follow(projection, show_id)
        except VersionMismatch as mismatch:
            logger.warning("%s; looking at it again", mismatch)
            self._prepared.pop(projection.name, None)
            self._forget(projection.name)
            return None
        except Exception as error:
            self._failed(projection.name, show_id, error)
            return None
        self._succeeded(projection.name, show_id)
        return applied

    async def _follow(self, projection: Projection, show_id: str) -> int:
        progress = await self._store.progress(projection.name, show_id)
        if progress is None or not progress.behind:
            return 0
        applied = 0
        async with self._exclusive((projection.name, show_id)):
            more = True
            while more:
                count, more = await self._pass(projection, show_id)
                applied += count
        return applied

    async def _pass(self, projection: Projection, show_id: str) -> tuple[int, bool]:
        """One transaction: lock the checkpoint, apply up to ``batch`` events, move the checkpoint."""
        key = (projection.name, show_id)
        # Taken out while in use: a pass that fails leaves no half-folded state behind.
        state = self._states.pop(key, None)
        async with self._store.claim(projection.name, projection.version, show_id) as claim:
            position = claim.position
            if state is None or state.version > position:
                state = ShowState()  # the view was rebuilt meanwhile, or this show is new here: fold afresh
            until = position + self._batch
            changes: list[object] = []
            last = position
            for item in await claim.events(state.version, until):
                fold_onto(state, (item.event,))
                if item.seq > position:
                    changes.extend(projection.apply(Step(show_id, item.seq, item.event, state)))
                    last = item.seq
            if last > position:
                await claim.save(changes, last)
        self._remember(key, state)
        return last - position, last == until

    def _remember(self, key: tuple[str, str], state: ShowState) -> None:
        self._states[key] = state
        self._states.move_to_end(key)
        while len(self._states) > self._cached_shows * len(self._projections):
            self._states.popitem(last=False)

    def _forget(self, name: str) -> None:
        for key in [k for k in self._states if k[0] == name]:
            del self._states[key]
        for key in [k for k in self._failures if k[0] == name]:
            del self._failures[key]
        self._failing_since.pop(name, None)

    @asynccontextmanager
    async def _exclusive(self, key: tuple[str, str]) -> AsyncIterator[None]:
        # The background loop and a reader catching up the same show take turns in this process.
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    # --- failures -------------------------------------------------------------------------------------

    def _failed(self, name: str, show_id: str, error: Exception) -> None:
        key = (name, show_id)
        now = self._monotonic()
        if self._outages.absorbs(error):
            # The database is away: not the projection's failure; try again soon, the outage is logged once.
            failure = self._failures.get(key)
            if failure is not None:
                failure.retry_at = now + RETRY_SECONDS
            self._outage = True
            return
        failure = self._failures.get(key)
        if failure is None:
            failure = self._failures[key] = _Failure(self._clock.now(), 0, now, "")
        failure.attempts += 1
        failure.retry_at = now + min(self._longest_retry, self._first_retry * 2 ** (failure.attempts - 1))
        failure.error = _describe(error)
        if name not in self._failing_since:
            self._failing_since[name] = now
            logger.error("projection %s failed on show %s (%s); it is retried with back-off, and the rotation "
                         "goes on without it", name, show_id, failure.error, exc_info=error)
        else:
            logger.debug("projection %s failed again on show %s (attempt %d): %s", name, show_id,
                         failure.attempts, failure.error)

    def _succeeded(self, name: str, show_id: str) -> None:
        if self._failures.pop((name, show_id), None) is None:
            return
        if any(n == name for n, _ in self._failures):
            return
        since = self._failing_since.pop(name, None)
        lasted = self._monotonic() - since if since is not None else 0.0
        logger.warning("projection %s applies events again, after %.1f s of failures", name, lasted)


def _nothing() -> None:
    return None


def _describe(error: BaseException) -> str:
    """One short line: the error's type and the first line of its message."""
    text = str(error).strip()
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
