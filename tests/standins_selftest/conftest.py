"""Self-tests of the platform stand-ins."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22.2+ warns (PTBDeprecationWarning) every time a RetryAfter is *constructed* unless PTB_TIMEDELTA is
    # set, and filterwarnings=error turns that warning into the exception PTB raises instead of RetryAfter.
    # Opting in makes `RetryAfter.retry_after` a datetime.timedelta (the future default).
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
