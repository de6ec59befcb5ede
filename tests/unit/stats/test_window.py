"""The window ``from``/``to`` name: days (``to``'s included), times in UTC unless they say, refused when odd."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.stats import BadWindow, Window, window_from_text


def test_days_times_and_offsets() -> None:
    assert window_from_text(None, None) == Window()
    assert window_from_text("2026-11-01", "2026-11-30") == Window(datetime(2026, 11, 1, tzinfo=UTC),
                                                                   datetime(2026, 12, 1, tzinfo=UTC))
    assert window_from_text("2026-11-28T21:00", None) == Window(datetime(2026, 11, 28, 21, tzinfo=UTC))
    assert window_from_text(None, "2026-11-28T23:30:00+01:00") == Window(None, datetime(2026, 11, 28, 22, 30,
                                                                                      tzinfo=UTC))
    assert window_from_text("2026-11-28T21:00:00Z", "2026-11-28T21:00:00z").start == datetime(2026, 11, 28, 21,
                                                                                             tzinfo=UTC)
    assert window_from_text("2026-11-28", "2026-11-28").end == datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.parametrize(("start", "end", "field"), [
    ("soon", None, "from"), (None, "2026-02-30", "to"), ("2026-11-28T24:00", None, "from"), ("", "x" * 10, "to"),
    (None, "9999-12-31", "to"), ("2026-12-01", "2026-11-30", "from"), ("2026-11-29T00:00Z", "2026-11-28", "from"),
    ("2026-11-28T22:00Z", "2026-11-28T21:59:59Z", "from"),
])
def test_odd_windows_are_refused_naming_the_side(start: str | None, end: str | None, field: str) -> None:
    with pytest.raises(BadWindow) as refused:
        window_from_text(start, end)
    assert refused.value.field == field


def test_a_window_holds_its_start_but_not_its_end() -> None:
    window = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert window.holds(datetime(2026, 11, 1, tzinfo=UTC)) and not window.holds(datetime(2026, 12, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        Window(window.end, window.start)
