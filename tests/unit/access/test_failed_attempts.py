"""The limit on guessing: a client that guessed wrong too often waits; nobody else does, and success never does."""

from __future__ import annotations

import pytest

from core.access import FailedAttempts
from tests.unit.access.fakes import FakeMonotonic


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


def test_a_client_may_fail_up_to_the_limit_and_then_waits_for_the_window(clock: FakeMonotonic) -> None:
    guard = FailedAttempts(clock, limit=3, window_seconds=60)
    for _ in range(3):
        assert guard.wait("1.2.3.4") == 0.0
        guard.failed("1.2.3.4")
        clock.advance(1)
    # Failures at 1000, 1001, 1002; now 1003: the first leaves the window at 1060.
    assert guard.wait("1.2.3.4") == pytest.approx(57.0)
    clock.advance(56.5)
    assert guard.wait("1.2.3.4") == pytest.approx(0.5)
    clock.advance(0.5)
    assert guard.wait("1.2.3.4") == 0.0


def test_a_window_lets_through_no_more_than_the_limit_however_the_guesses_are_spread(
    clock: FakeMonotonic,
) -> None:
    guard = FailedAttempts(clock, limit=5, window_seconds=60)
    checked: list[float] = []
    # A patient guesser tries every second for ten minutes, but only when let through.
    for _ in range(600):
        if guard.wait("guesser") == 0.0:
            guard.failed("guesser")
            checked.append(clock())
        clock.advance(1)
    for start in checked:
        assert len([t for t in checked if start <= t < start + 60]) <= 5
    assert len(checked) == 50  # five per minute: the limit, never more and not stuck at none


@pytest.mark.parametrize(
    ("failures", "wait_after"),
    [(0, 0.0), (1, 0.0), (9, 0.0), (10, 60.0)],
)
def test_only_the_limit_th_failure_holds_a_client_off(
    clock: FakeMonotonic, failures: int, wait_after: float
) -> None:
    guard = FailedAttempts(clock, limit=10, window_seconds=60)
    for _ in range(failures):
        guard.failed("client")
    assert guard.wait("client") == pytest.approx(wait_after)


def test_one_client_held_off_does_not_hold_off_another(clock: FakeMonotonic) -> None:
    guard = FailedAttempts(clock, limit=2, window_seconds=60)
    guard.failed("attacker")
    guard.failed("attacker")
    assert guard.wait("attacker") > 0
    assert guard.wait("kj") == 0.0


def test_old_failures_are_forgotten_and_memory_stays_bounded(clock: FakeMonotonic) -> None:
    guard = FailedAttempts(clock, limit=2, window_seconds=10, max_clients=100)
    for n in range(1000):
        guard.failed(f"10.0.{n // 256}.{n % 256}")
    assert guard.clients() == 100
    # The most recent failers are the ones remembered.
    guard.failed("10.0.3.231")
    assert guard.wait("10.0.3.231") > 0 and guard.wait("10.0.0.0") == 0.0
    clock.advance(10)
    assert guard.wait("10.0.3.231") == 0.0
    assert guard.clients() < 100


@pytest.mark.parametrize("bad", [{"limit": 0}, {"window_seconds": 0}, {"max_clients": 0}])
def test_a_limit_that_would_let_nobody_in_is_refused(clock: FakeMonotonic, bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="positive"):
        FailedAttempts(clock, **bad)  # type: ignore[arg-type]
