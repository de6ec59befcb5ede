"""The read side: ETAs, version, a singer's own requests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.rotation import InvalidCommand, ShowSettings, queue_view, singer_requests

from .harness import Show


def test_etas_add_up_songs_and_changeovers_from_the_current_songs_remaining_time() -> None:
    show = Show(ShowSettings(changeover_seconds=60, default_song_seconds=240))
    show.request("A", "A1", duration=200)
    show.request("B", "B1", duration=180)
    show.request("C", "C1", duration=None)
    show.request("D", "D1", duration=100)
    show.advance()  # A1 starts now
    started = show.state.now_started_at
    assert started is not None
    view = queue_view(show.state, started + timedelta(seconds=50))
    assert view.now is not None
    assert (view.now.song.title, view.now.eta_seconds, view.now.position) == ("A1", 0, 0)
    table = [(s.position, s.song.title, s.eta_seconds) for s in view.upcoming]
    assert table == [
        (1, "B1", 150 + 60),
        (2, "C1", 210 + 180 + 60),
        (3, "D1", 450 + 240 + 60),
    ]


def test_an_overrunning_song_counts_as_just_about_to_end() -> None:
    show = Show(ShowSettings(changeover_seconds=30))
    show.request("A", "A1", duration=100)
    show.request("B", "B1", duration=100)
    show.advance()
    assert show.state.now_started_at is not None
    view = queue_view(show.state, show.state.now_started_at + timedelta(seconds=500))
    assert view.upcoming[0].eta_seconds == 30


def test_with_nobody_on_stage_the_first_singer_can_start_right_away() -> None:
    show = Show()
    show.request("A", "A1", duration=100)
    show.request("B", "B1", duration=100)
    view = queue_view(show.state, show.now)
    assert view.now is None
    assert [s.eta_seconds for s in view.upcoming] == [0, 160]


def test_the_view_version_is_the_number_of_events_in_the_stream() -> None:
    show = Show()
    show.request("A", "A1")
    assert queue_view(show.state, show.now).version == len(show.events) == 3


def test_a_singer_sees_their_own_waiting_songs_with_positions() -> None:
    show = Show()
    for who, title in [("A", "A1"), ("A", "A2"), ("B", "B1")]:
        show.request(who, title)
    mine = singer_requests(show.state, show.singer_id("A"), show.now)
    assert [(r.song.title, r.position) for r in mine] == [("A1", 1), ("A2", 3)]


def test_a_paused_singers_songs_have_no_position() -> None:
    show = Show()
    show.request("A", "A1")
    show.pause("A")
    mine = singer_requests(show.state, show.singer_id("A"), show.now)
    assert [(r.song.title, r.position, r.eta_seconds) for r in mine] == [("A1", None, None)]


def test_a_song_of_unknown_length_is_requested_and_estimated_at_the_shows_default() -> None:
    # The catalog says 0 or nothing when it does not know a song's length; both are "unknown" here.
    show = Show(ShowSettings(changeover_seconds=60, default_song_seconds=240))
    show.request("A", "A1", duration=0)
    show.request("B", "B1", duration=None)
    show.request("C", "C1", duration=100)
    assert show.state.requests["A1"].song.duration is None
    view = queue_view(show.state, show.now)
    assert [(s.song.title, s.eta_seconds) for s in view.upcoming] == [("A1", 0), ("B1", 300), ("C1", 600)]


def test_a_negative_length_is_refused() -> None:
    show = Show()
    with pytest.raises(InvalidCommand):
        show.request("A", "A1", duration=-5)
