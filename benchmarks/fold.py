"""How long does rebuilding a busy show take? Target: folding 2,000 events in at most 5 ms (median).

Builds a realistic karaoke night by deciding commands (40 singers, requests, advances, a few skips,
pauses, KJ moves, bumps, undos and withdrawals), then times ``fold`` over the stream, and
``decide`` + ``queue_view`` for the commands the bots send most.

Run: .venv/bin/python benchmarks/fold.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.rotation import (
    AdvanceQueue,
    BumpSinger,
    Command,
    Event,
    MoveRequest,
    OpenShow,
    PauseSinger,
    RemoveRequest,
    RequestSong,
    ResumeSinger,
    RotationError,
    ShowState,
    SingerRef,
    SkipSinger,
    SongRef,
    Undo,
    WithdrawRequest,
    decide,
    event_from_dict,
    event_to_dict,
    evolve,
    fold,
    queue_view,
    upcoming,
)

TARGET_EVENTS = 2_000
TARGET_MS = 5.0


def build_show(seed: int = 2026) -> tuple[list[Event], ShowState, datetime]:
    """Decide commands until the stream holds ``TARGET_EVENTS`` events; returns stream, state, clock."""
    rng = random.Random(seed)
    now = datetime(2026, 3, 14, 19, 0, tzinfo=UTC)
    state = ShowState()
    events: list[Event] = []
    singers = [SingerRef("telegram", str(n), f"Singer {n}") for n in range(40)]
    counter = 0

    def run(command: Command) -> None:
        nonlocal state, now
        try:
            new = decide(state, command, now)
        except RotationError:
            return
        for event in new:
            state = evolve(state, event)
        events.extend(new)
        now += timedelta(seconds=rng.randint(5, 90))

    run(OpenShow("open", "show", "Saturday", "K7QX"))
    while len(events) < TARGET_EVENTS:
        counter += 1
        roll = rng.random()
        pending = [r for r, req in state.requests.items() if req.status == "pending"]
        if roll < 0.50:
            who = rng.choice(singers[: min(40, 5 + counter // 20)])
            song = SongRef(f"song-{counter}", f"Song {counter}", "Artist", rng.choice([None, 180, 210, 240]))
            run(RequestSong(f"c{counter}", who, song, f"r{counter}"))
        elif roll < 0.78:
            run(AdvanceQueue(f"c{counter}"))
        elif roll < 0.83:
            run(SkipSinger(f"c{counter}"))
        elif roll < 0.86 and state.rotation:
            singer_id = rng.choice(state.rotation)
            paused = state.singers[singer_id].paused
            run((ResumeSinger if paused else PauseSinger)(f"c{counter}", singer_id))
        elif roll < 0.89 and pending:
            run(MoveRequest(f"c{counter}", rng.choice(pending), rng.randint(1, 5)))
        elif roll < 0.91 and state.rotation:
            run(BumpSinger(f"c{counter}", rng.choice(state.rotation)))
        elif roll < 0.93:
            run(Undo(f"c{counter}"))
        elif roll < 0.96 and pending:
            run(RemoveRequest(f"c{counter}", rng.choice(pending)))
        elif pending:
            request = state.requests[rng.choice(pending)]
            who = next(s for s in singers if state.singer_keys.get(s.key) == request.singer_id)
            run(WithdrawRequest(f"c{counter}", who, request.request_id))
    return events[:TARGET_EVENTS], fold(events[:TARGET_EVENTS]), now


def measure(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and 99th percentile of ``runs`` timings, in milliseconds."""
    action()  # warm-up
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.99))]


def main() -> int:
    """Print the measurements; exit status 1 if the fold median misses the target."""
    events, state, now = build_show()
    kinds: dict[str, int] = {}
    for event in events:
        kinds[type(event).__name__] = kinds.get(type(event).__name__, 0) + 1
    print(
        f"show: {len(events)} events, {len(state.singers)} singers, {len(state.requests)} requests, "
        f"{len(state.history)} history entries, {len(upcoming(state))} waiting"
    )
    print("  " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))

    assert fold(events) == state
    median, p99 = measure(lambda: fold(events), 300)
    verdict = "OK" if median <= TARGET_MS else "MISSED"
    print(
        f"fold({len(events)} events):            median {median:6.2f} ms   p99 {p99:6.2f} ms   "
        f"target <= {TARGET_MS} ms  {verdict}"
    )

    payloads = [event_to_dict(e) for e in events]
    median_c, p99_c = measure(lambda: fold(event_from_dict(k, p) for k, p in payloads), 50)
    print(f"decode + fold (from JSON dicts):  median {median_c:6.2f} ms   p99 {p99_c:6.2f} ms")

    singer = SingerRef("telegram", "new", "Newcomer")
    song = SongRef("brand-new", "Brand New", "Artist", 200)

    def request_and_view() -> None:
        new = decide(state, RequestSong("bench", singer, song, "bench-r"), now)
        after = state
        for event in new:
            after = evolve(after, event)
        queue_view(after, now)

    def advance_and_view() -> None:
        new = decide(state, AdvanceQueue("bench"), now)
        after = state
        for event in new:
            after = evolve(after, event)
        queue_view(after, now)

    for label, action in [
        ("decide RequestSong + queue_view", request_and_view),
        ("decide AdvanceQueue + queue_view", advance_and_view),
    ]:
        median_d, p99_d = measure(action, 300)
        print(f"{label}: median {median_d:6.2f} ms   p99 {p99_d:6.2f} ms")
    median_v, p99_v = measure(lambda: queue_view(state, now), 300)
    print(f"queue_view alone:                 median {median_v:6.2f} ms   p99 {p99_v:6.2f} ms")
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
