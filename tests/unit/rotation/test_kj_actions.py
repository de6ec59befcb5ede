"""KJ actions: advance, skip, skip now, pause/resume, move, bump, remove, and undo of each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.rotation import Blocked, BlockSinger, Conflict, InvalidCommand, NotFound, NothingToUndo, history
from core.rotation.events import RequestWithdrawn, SingerBlocked

from .harness import Show


def four_singers() -> Show:
    show = Show()
    for who in "ABCD":
        show.request(who, f"{who}1")
    return show


class TestAdvance:
    def test_advance_finishes_the_current_song_and_starts_the_next(self) -> None:
        show = four_singers()
        show.advance()
        events = show.advance()
        assert [type(e).__name__ for e in events] == [
            "KjActionTaken",
            "PerformanceFinished",
            "PerformanceStarted",
        ]
        assert show.now_singing() == "B1"
        assert [h.song.title for h in history(show.state)] == ["A1"]

    def test_with_nobody_waiting_the_stage_becomes_empty(self) -> None:
        show = Show()
        show.request("A", "A1")
        show.advance()
        show.advance()
        assert show.now_singing() is None
        assert show.upcoming() == []

    def test_advancing_an_empty_show_is_refused(self) -> None:
        show = Show()
        with pytest.raises(Conflict):
            show.advance()


class TestSkip:
    """Skip passes over the called singer (the first request of the upcoming list) and never touches the
    one at the mic: the called request stays pending, its singer's turn in this round is used up, and the
    singer after them is called instead.
    """

    def test_the_worked_example(self) -> None:
        # A(A1, A2), B(B1, B2), C(C1, C2); advance, advance (B1 singing, C called); skip.
        show = Show()
        for who in "ABC":
            show.request(who, f"{who}1")
            show.request(who, f"{who}2")
        show.advance()
        show.advance()
        assert show.now_singing() == "B1" and show.upcoming()[0] == "C1"
        show.skip()
        assert show.now_singing() == "B1"
        assert show.upcoming() == ["A2", "B2", "C1", "C2"]

    def test_the_no_show_keeps_their_request_and_the_next_singer_is_called(self) -> None:
        show = four_singers()
        show.advance()  # A1 sings; B1 is called
        events = show.skip()
        assert [type(e).__name__ for e in events] == ["KjActionTaken", "SingerSkipped", "NextSingerCalled"]
        assert show.now_singing() == "A1"
        assert show.upcoming() == ["C1", "D1", "B1"]
        assert show.state.next_up == "C1", "the singer after them is called: the next-up lock is theirs"
        assert [(h.song.title, h.outcome) for h in history(show.state)] == [("B1", "skipped")]
        show.advance()
        assert show.now_singing() == "C1"
        assert [(h.song.title, h.outcome) for h in history(show.state)] == [("B1", "skipped"), ("A1", "sung")]

    def test_a_newcomer_does_not_jump_ahead_of_the_singer_called_instead(self) -> None:
        show = four_singers()
        show.advance()
        show.skip()
        show.request("E", "E1")
        assert show.upcoming()[0] == "C1"

    def test_a_skipped_singer_waits_for_the_next_round(self) -> None:
        show = four_singers()
        show.request("A", "A2")
        show.skip()  # nobody sings yet: A1 is first in line, A does not come, B1 is first now
        assert show.now_singing() is None
        assert show.upcoming() == ["B1", "C1", "D1", "A1", "A2"]

    def test_skipping_the_only_waiting_singer_leaves_nobody_called(self) -> None:
        show = Show()
        show.request("A", "A1")
        show.request("B", "B1")
        show.advance()
        show.skip()
        assert show.now_singing() == "A1"
        assert show.upcoming() == ["B1"] and show.state.next_up is None

    def test_skip_can_name_the_request_and_is_refused_if_it_is_no_longer_next(self) -> None:
        show = four_singers()
        show.advance()
        with pytest.raises(Conflict):
            show.skip("C1")
        show.skip("B1")
        assert show.now_singing() == "A1" and show.upcoming()[0] == "C1"

    def test_skipping_with_nobody_waiting_is_refused(self) -> None:
        show = Show()
        show.request("A", "A1")
        show.advance()
        with pytest.raises(Conflict):
            show.skip()


class TestSkipNow:
    """The performer at the mic never came: their performance is voided (not counted as sung), their song
    waits again with their turn used, and the called singer starts."""

    def test_a_performance_that_never_happened_is_voided_and_the_called_singer_starts(self) -> None:
        show = four_singers()
        show.request("B", "B2")
        show.advance()  # A1 sings, B1 called
        show.advance()  # B1 "sings", C1 called; B never came to the mic
        events = show.skip_now()
        assert [type(e).__name__ for e in events] == ["KjActionTaken", "PerformanceVoided", "PerformanceStarted"]
        assert show.now_singing() == "C1"
        assert show.upcoming() == ["D1", "B1", "B2"], "B1 waits again; B's turn this round is used"
        assert [(h.song.title, h.outcome) for h in history(show.state)] == [("A1", "sung"), ("B1", "voided")]

    def test_with_nobody_called_the_stage_is_left_empty(self) -> None:
        show = Show()
        show.request("A", "A1")
        show.advance()
        show.skip_now()
        assert show.now_singing() is None and show.upcoming() == ["A1"]

    def test_it_needs_someone_at_the_mic_and_can_name_them(self) -> None:
        show = four_singers()
        with pytest.raises(Conflict):
            show.skip_now()
        show.advance()
        with pytest.raises(Conflict):
            show.skip_now("B1")
        show.skip_now("A1")
        assert show.now_singing() == "B1"


class TestPause:
    def test_a_paused_singer_is_passed_over_and_comes_back_in_their_place(self) -> None:
        show = four_singers()
        show.pause("B")
        assert show.upcoming() == ["A1", "C1", "D1"]
        show.resume("B")
        assert show.upcoming() == ["A1", "B1", "C1", "D1"]

    def test_a_paused_singer_keeps_requesting(self) -> None:
        show = four_singers()
        show.pause("B")
        show.request("B", "B2")
        show.resume("B")
        assert show.upcoming() == ["A1", "B1", "C1", "D1", "B2"]

    def test_pausing_twice_is_a_conflict(self) -> None:
        show = four_singers()
        show.pause("B")
        with pytest.raises(Conflict):
            show.pause("B")


class TestBlock:
    def test_a_blocked_singer_loses_their_waiting_songs_and_may_request_no_more(self) -> None:
        show = four_singers()
        show.request("B", "B2")
        events = show.block("B")
        assert [type(e) for e in events] == [SingerBlocked, RequestWithdrawn, RequestWithdrawn]
        assert all(e.by_kj for e in events if isinstance(e, RequestWithdrawn))
        assert show.upcoming() == ["A1", "C1", "D1"]
        with pytest.raises(Blocked):
            show.request("B", "B3")
        assert show.replayed() == show.state

    def test_the_song_at_the_mic_sings_on(self) -> None:
        show = four_singers()
        show.advance()
        show.block("A")
        assert show.now_singing() == "A1"
        assert show.upcoming() == ["B1", "C1", "D1"]

    def test_unblocked_they_request_again_in_their_place_but_the_songs_taken_out_stay_out(self) -> None:
        show = four_singers()
        show.block("B")
        show.unblock("B")
        show.request("B", "B2")
        assert show.upcoming() == ["A1", "B2", "C1", "D1"]

    def test_blocking_twice_unblocking_the_unblocked_and_an_unknown_singer_are_refused(self) -> None:
        show = four_singers()
        show.block("B")
        with pytest.raises(Conflict):
            show.block("B")
        with pytest.raises(Conflict):
            show.unblock("C")
        with pytest.raises(NotFound):
            show.do(BlockSinger("x", "nobody"))

    def test_blocking_is_not_undone_by_undo(self) -> None:
        show = four_singers()
        show.block("B")
        with pytest.raises(NothingToUndo):
            show.undo()


class TestMoveAndBump:
    """Moving to position p fixes the p-1 requests above it plus the moved one; the rest stays predicted."""

    def test_move_a_request_up(self) -> None:
        show = four_singers()
        show.move("D1", 2)
        assert show.upcoming() == ["A1", "D1", "B1", "C1"]

    def test_move_a_request_down(self) -> None:
        show = four_singers()
        show.move("A1", 3)
        assert show.upcoming() == ["B1", "C1", "A1", "D1"]

    def test_a_newcomer_is_predicted_below_what_the_kj_placed(self) -> None:
        show = four_singers()
        show.move("D1", 2)
        show.request("E", "E1")
        assert show.upcoming() == ["A1", "D1", "B1", "C1", "E1"]

    def test_moved_requests_are_sung_in_the_kj_order(self) -> None:
        show = four_singers()
        show.move("D1", 1)
        show.move("C1", 2)
        sung = []
        while show.upcoming():
            show.advance()
            sung.append(show.now_singing())
        assert sung == ["D1", "C1", "A1", "B1"]

    def test_bump_puts_the_singer_next_ahead_of_the_locked_next_up(self) -> None:
        show = four_singers()
        show.advance()  # A1; B1 locked
        show.bump("D")
        assert show.upcoming() == ["D1", "B1", "C1"]

    def test_moving_to_a_position_past_the_end_is_refused(self) -> None:
        show = four_singers()
        with pytest.raises(InvalidCommand):
            show.move("A1", 5)

    def test_a_removed_request_leaves_the_queue(self) -> None:
        show = four_singers()
        show.remove("C1")
        assert show.upcoming() == ["A1", "B1", "D1"]


UNDOABLE: dict[str, Callable[[Show], object]] = {
    "advance": lambda show: show.advance(),
    "skip": lambda show: show.skip(),
    "skip now": lambda show: show.skip_now(),
    "move": lambda show: show.move("D1", 1),
    "bump": lambda show: show.bump("C"),
    "pause": lambda show: show.pause("C"),
    "remove": lambda show: show.remove("C1"),
}


@pytest.mark.parametrize("action", ["advance", "skip", "skip now", "move", "bump", "pause", "remove"])
def test_undo_puts_the_queue_back_as_it_was_before_the_kj_action(action: str) -> None:
    show = four_singers()
    show.request("A", "A2")
    show.advance()  # A1 sings, B1 locked
    before, before_view = show.state, show.view()
    UNDOABLE[action](show)
    assert show.view() != before_view
    show.undo()
    assert show.view() == before_view
    assert show.state.history == before.history
    assert (show.state.round_no, show.state.round_used) == (before.round_no, before.round_used)
    assert show.state.next_up == before.next_up
    assert show.state.requests == before.requests
    assert show.state.singers == before.singers
    assert show.replayed() == show.state


def test_undo_of_resume_pauses_the_singer_again() -> None:
    show = four_singers()
    show.pause("C")
    show.resume("C")
    show.undo()
    assert show.state.singers[show.singer_id("C")].paused
    assert show.upcoming() == ["A1", "B1", "D1"]


def test_undo_keeps_what_singers_did_after_the_kj_action() -> None:
    show = four_singers()
    show.advance()
    show.request("E", "E1")
    show.withdraw("D", "D1")
    show.undo()
    assert show.now_singing() is None
    assert show.upcoming() == ["A1", "B1", "C1", "E1"]


def test_undo_walks_back_one_kj_action_at_a_time_and_is_not_itself_undone() -> None:
    show = four_singers()
    show.advance()  # A1
    show.advance()  # B1
    show.undo()
    assert show.now_singing() == "A1"
    show.undo()
    assert show.now_singing() is None
    assert show.upcoming() == ["A1", "B1", "C1", "D1"]
    with pytest.raises(NothingToUndo) as refused:
        show.undo()
    assert refused.value.code == "nothing-to-undo"


def test_the_undo_event_names_the_action_it_reverts() -> None:
    show = four_singers()
    taken_at = show.state.version + 1
    show.move("D1", 1)
    (reverted,) = show.undo()
    assert type(reverted).__name__ == "KjActionReverted"
    assert (reverted.of_seq, reverted.action) == (taken_at, "move")  # type: ignore[union-attr]
