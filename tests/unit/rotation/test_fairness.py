"""Round-robin fairness, the fifo policy, the next-up lock and a singer's own order."""

from __future__ import annotations

import pytest

from core.rotation import ShowSettings

from .harness import Show


def test_worked_example_from_the_rules() -> None:
    show = Show()
    show.request("A", "A1")
    show.request("A", "A2")
    show.request("B", "B1")
    show.request("C", "C1")
    assert show.upcoming() == ["A1", "B1", "C1", "A2"]

    show.advance()
    assert show.now_singing() == "A1"
    show.request("D", "D1")
    assert show.upcoming() == ["B1", "C1", "D1", "A2"]

    show.advance()
    show.request("B", "B2")
    assert show.upcoming() == ["C1", "D1", "A2", "B2"]


def test_rotation_order_is_the_order_singers_joined() -> None:
    show = Show()
    for who in ["Zoe", "Adam", "Mia"]:
        show.request(who, f"{who}-1")
    assert show.upcoming() == ["Zoe-1", "Adam-1", "Mia-1"]


def test_every_waiting_singer_sings_once_per_round() -> None:
    show = Show()
    rows = [("A", "A1"), ("A", "A2"), ("A", "A3"), ("B", "B1"), ("B", "B2"), ("C", "C1")]
    for who, title in rows:
        show.request(who, title)
    assert show.upcoming() == ["A1", "B1", "C1", "A2", "B2", "A3"]


def test_a_newcomer_sings_in_the_current_round_after_everyone_ahead_of_them() -> None:
    show = Show()
    for who, title in [("A", "A1"), ("A", "A2"), ("B", "B1"), ("C", "C1"), ("C", "C2")]:
        show.request(who, title)
    show.advance()  # A1
    show.advance()  # B1
    show.request("D", "D1")
    assert show.now_singing() == "B1"
    assert show.upcoming() == ["C1", "D1", "A2", "C2"]


def test_nobody_sings_twice_while_someone_who_waited_has_not_sung() -> None:
    show = Show()
    show.request("A", "A1")
    show.request("A", "A2")
    show.request("B", "B1")
    show.advance()  # A1, round 1 = {A}
    show.request("C", "C1")
    # A2 waits for the next round because C, who came later, has not had a turn yet.
    assert show.upcoming() == ["B1", "C1", "A2"]


def test_a_singer_who_runs_out_of_songs_and_requests_again_does_not_jump_the_round() -> None:
    show = Show()
    for who, title in [("A", "A1"), ("B", "B1"), ("C", "C1")]:
        show.request(who, title)
    show.advance()  # A1
    show.request("A", "A2")
    assert show.upcoming() == ["B1", "C1", "A2"]


def test_a_new_round_starts_when_everyone_waiting_has_sung_in_this_one() -> None:
    show = Show()
    for who, title in [("A", "A1"), ("B", "B1"), ("A", "A2"), ("B", "B2")]:
        show.request(who, title)
    show.advance()  # A1
    show.advance()  # B1
    show.advance()  # A2 opens round 2
    assert show.state.round_no == 2
    assert show.upcoming() == ["B2"]


def test_a_singers_own_requests_are_sung_in_the_order_they_made_them() -> None:
    show = Show()
    for title in ["A1", "A2", "A3"]:
        show.request("A", title)
    assert show.upcoming() == ["A1", "A2", "A3"]


class TestNextUpLock:
    def test_the_singer_told_they_are_next_keeps_the_slot_when_a_newcomer_would_sort_ahead(self) -> None:
        show = Show()
        for who, title in [("A", "A1"), ("B", "B1"), ("C", "C1")]:
            show.request(who, title)
        show.advance()  # A1 sings, B1 is told they are next
        show.advance()  # B1 sings, C1 is told they are next; round 1 = {A, B}
        show.advance()  # C1 sings; nobody waits, so nobody is locked
        show.request("A", "A2")
        show.request("C", "C2")
        show.advance()  # A2 opens round 2; C2 is locked as next
        assert show.state.next_up == "C2"
        show.request("B", "B2")  # B joined before C, so policy alone would put B2 first
        assert show.upcoming() == ["C2", "B2"]

    def test_the_lock_is_lost_when_the_next_up_singer_withdraws(self) -> None:
        show = Show()
        for who, title in [("A", "A1"), ("B", "B1"), ("C", "C1")]:
            show.request(who, title)
        show.advance()
        assert show.state.next_up == "B1"
        show.withdraw("B", "B1")
        assert show.upcoming() == ["C1"]

    def test_the_lock_is_lost_when_the_next_up_singer_is_paused_and_not_regained_on_resume(self) -> None:
        show = Show()
        for who, title in [("A", "A1"), ("A", "A2"), ("B", "B1"), ("C", "C1")]:
            show.request(who, title)
        show.advance()  # A1; B1 locked
        show.pause("B")
        assert show.upcoming() == ["C1", "A2"]
        show.resume("B")
        assert show.state.next_up is None
        assert show.upcoming() == ["B1", "C1", "A2"]


class TestFifo:
    def test_requests_are_sung_in_the_order_they_were_made(self) -> None:
        show = Show(ShowSettings(policy="fifo"))
        for who, title in [("A", "A1"), ("A", "A2"), ("B", "B1"), ("C", "C1")]:
            show.request(who, title)
        assert show.upcoming() == ["A1", "A2", "B1", "C1"]

    def test_a_newcomer_waits_behind_everything_already_requested(self) -> None:
        show = Show(ShowSettings(policy="fifo"))
        for who, title in [("A", "A1"), ("A", "A2"), ("B", "B1")]:
            show.request(who, title)
        show.advance()
        show.request("D", "D1")
        assert show.upcoming() == ["A2", "B1", "D1"]

    def test_paused_singers_are_passed_over(self) -> None:
        show = Show(ShowSettings(policy="fifo"))
        for who, title in [("A", "A1"), ("B", "B1"), ("A", "A2")]:
            show.request(who, title)
        show.pause("A")
        assert show.upcoming() == ["B1"]


@pytest.mark.parametrize("policy", ["round_robin", "fifo"])
def test_advancing_through_everything_sings_every_request_exactly_once(policy: str) -> None:
    show = Show(ShowSettings(policy=policy))  # type: ignore[arg-type]
    titles = ["A1", "B1", "A2", "C1", "B2", "A3"]
    for title in titles:
        show.request(title[0], title)
    sung: list[str] = []
    while show.upcoming():
        show.advance()
        sung.append(show.now_singing() or "")
    show.advance()
    assert show.now_singing() is None
    assert sorted(sung) == sorted(titles)
    assert [h.song.title for h in show.state.history] == sung
