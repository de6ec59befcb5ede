"""The rate limiter counts a send when the platform answered it, not only when it left."""

from __future__ import annotations

from core.delivery.limits import TELEGRAM, RateLimiter


def test_a_slow_request_pushes_the_next_send_to_that_chat_a_full_second_past_its_answer() -> None:
    limiter = RateLimiter({"telegram": TELEGRAM}, margin=0.0)
    limiter.record("telegram", "private:1", False, 10.0)
    assert limiter.wait("telegram", "private:1", False, 10.5) == 0.5
    # The request took 0.2 s: it may have reached Telegram as late as 10.2.
    limiter.settle("telegram", "private:1", False, 10.0, 10.2)
    assert abs(limiter.wait("telegram", "private:1", False, 10.5) - 0.7) < 1e-9


def test_settling_moves_the_send_rather_than_counting_it_twice() -> None:
    limiter = RateLimiter({"telegram": TELEGRAM}, margin=0.0)
    for n in range(29):
        limiter.record("telegram", f"private:{n}", False, 1.0)
        limiter.settle("telegram", f"private:{n}", False, 1.0, 1.1)
    assert limiter.wait("telegram", "private:99", False, 1.5) == 0.0  # 29 of 30 per second used
    limiter.record("telegram", "private:99", False, 1.5)
    assert limiter.wait("telegram", "private:100", False, 1.6) > 0  # the 31st waits


def test_an_unlimited_platform_and_an_unknown_reservation_are_harmless() -> None:
    limiter = RateLimiter({}, margin=0.0)
    limiter.settle("console", "private:1", False, 1.0, 2.0)
    assert limiter.wait("console", "private:1", False, 1.0) == 0.0
    limited = RateLimiter({"telegram": TELEGRAM}, margin=0.0)
    limited.settle("telegram", "private:1", False, 1.0, 2.0)  # never recorded: counted at its answer
    assert abs(limited.wait("telegram", "private:1", False, 2.5) - 0.5) < 1e-9
