"""The rate limiter counts a send in flight as happening now, and a finished one at its answer."""

from __future__ import annotations

import pytest

from core.delivery.limits import POLL, TELEGRAM, RateLimiter


def test_a_slow_request_pushes_the_next_send_to_that_chat_a_full_second_past_its_answer() -> None:
    limiter = RateLimiter({"telegram": TELEGRAM}, margin=0.0)
    limiter.begin("telegram", "private:1", False)
    # While in flight it may arrive any moment: the chat is busy, look again shortly.
    assert limiter.wait("telegram", "private:1", False, 10.1) == POLL
    limiter.finish("telegram", "private:1", False, 10.2)  # answered at 10.2: it arrived no later
    assert limiter.wait("telegram", "private:1", False, 10.5) == pytest.approx(0.7)
    assert limiter.wait("telegram", "private:1", False, 11.2) == 0.0


def test_thirty_sends_in_flight_hold_the_thirty_first_until_they_are_answered() -> None:
    limiter = RateLimiter({"telegram": TELEGRAM}, margin=0.0)
    for n in range(30):
        assert limiter.wait("telegram", f"private:{n}", False, 1.0) == 0.0
        limiter.begin("telegram", f"private:{n}", False)
    assert limiter.wait("telegram", "private:99", False, 1.1) == POLL
    for n in range(30):
        limiter.finish("telegram", f"private:{n}", False, 1.2 + n * 0.01)
    # The window opens when the first answered send is a second old.
    assert limiter.wait("telegram", "private:99", False, 1.5) == pytest.approx(0.7)
    assert limiter.wait("telegram", "private:99", False, 2.2) == 0.0


def test_history_from_the_outbox_and_sends_in_flight_add_up() -> None:
    limiter = RateLimiter({"telegram": TELEGRAM}, margin=0.0)
    for n in range(29):
        limiter.record("telegram", f"private:{n}", False, 5.0)
    assert limiter.wait("telegram", "private:50", False, 5.5) == 0.0
    limiter.begin("telegram", "private:50", False)
    assert limiter.wait("telegram", "private:51", False, 5.5) == pytest.approx(0.5)


def test_an_unlimited_platform_never_waits() -> None:
    limiter = RateLimiter({}, margin=0.0)
    limiter.begin("console", "private:1", False)
    limiter.finish("console", "private:1", False, 1.0)
    assert limiter.wait("console", "private:1", False, 1.0) == 0.0
