"""The Performances projection agrees with the fold: what was sung, skipped, voided, a no-show, or cut off by
the close, and an undo takes rows back exactly as it takes history back."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.projections import Performance, PerformanceRows, Performances, Step, performances_of
from core.rotation import (
    CloseShow,
    ForgetSinger,
    LinkSingers,
    RenameSinger,
    RequestSong,
    RotationError,
    ShowState,
    SingerRef,
    SkipMyTurn,
    SongRef,
)
from core.rotation.events import Event
from core.rotation.state import fold_onto
from tests.random_night import RandomNight
from tests.unit.rotation.harness import START, Show, singer

SHOW = "show-1"


def rows(show: Show) -> list[Performance]:
    return performances_of(SHOW, show.events)


def table(show: Show) -> list[tuple[int, str, str, str]]:
    return [(p.ordinal, p.singer_name, p.title, p.outcome) for p in rows(show)]


def test_a_song_sung_is_one_row_with_the_wait_from_request_to_start() -> None:
    show = Show()
    show.request("Ann", "Africa")  # 20:00:01
    show.request("Ben", "Zombie")  # 20:00:02
    show.now += timedelta(minutes=10)
    show.advance()  # Ann starts at 20:10:03
    show.now += timedelta(minutes=4)
    show.advance()  # Ann finishes at 20:14:04, Ben starts
    [ann] = rows(show)
    assert (ann.ordinal, ann.singer_name, ann.title, ann.artist, ann.outcome) == (1, "Ann", "Africa", "Artist", "sung")
    assert ann.requested_at == START + timedelta(seconds=1)
    assert ann.started_at == START + timedelta(minutes=10, seconds=3)
    assert ann.finished_at == START + timedelta(minutes=14, seconds=4)
    assert ann.wait_seconds == 10 * 60 + 2
    assert ann.duration == 180 and ann.song_id == "Africa" and ann.request_id == "Africa"
    assert ann.singer_id == show.singer_id("Ann") and ann.show_id == SHOW


def test_skip_passes_over_the_called_singer_a_no_show_whose_song_comes_back_later() -> None:
    show = Show()
    for who, title in [("Ann", "Africa"), ("Ben", "Zombie"), ("Cat", "Creep")]:
        show.request(who, title)
    show.advance()  # Ann sings, Ben is called
    show.skip()  # Ben never came: Cat is called
    show.advance()  # Ann done, Cat sings
    show.advance()  # Cat done; Ben sings at last
    show.advance()
    assert table(show) == [
        (1, "Ben", "Zombie", "no-show"),
        (2, "Ann", "Africa", "sung"),
        (3, "Cat", "Creep", "sung"),
        (4, "Ben", "Zombie", "sung"),
    ]
    no_show = rows(show)[0]
    assert no_show.started_at == no_show.finished_at


def test_a_singer_who_sits_their_turn_out_is_skipped_not_a_no_show() -> None:
    show = Show()
    show.request("Ann", "Africa")
    show.request("Ben", "Zombie")
    show.advance()
    show.do(SkipMyTurn("sit-out", singer("Ben"), "Zombie"))
    assert table(show) == [(1, "Ben", "Zombie", "skipped")]


def test_skip_now_voids_the_one_at_the_mic_and_their_song_sings_later_as_a_row_of_its_own() -> None:
    show = Show()
    show.request("Ann", "Africa")
    show.request("Ben", "Zombie")
    show.advance()  # Ann at the mic
    show.now += timedelta(seconds=30)
    show.skip_now()  # she never came: voided, Ben starts
    show.advance()  # Ben done, Ann starts again
    show.advance()
    assert table(show) == [(1, "Ann", "Africa", "voided"), (2, "Ben", "Zombie", "sung"), (3, "Ann", "Africa", "sung")]
    voided = rows(show)[0]
    assert voided.finished_at - voided.started_at == timedelta(seconds=31)


def test_undoing_next_takes_the_sung_row_back_and_the_song_sung_again_is_one_row() -> None:
    show = Show()
    show.request("Ann", "Africa")
    show.request("Ben", "Zombie")
    show.advance()
    show.advance()  # Ann sung, Ben at the mic
    assert table(show) == [(1, "Ann", "Africa", "sung")]
    show.undo()  # Ann is back at the mic: not sung yet
    assert table(show) == []
    show.now += timedelta(minutes=2)
    show.advance()
    [ann] = rows(show)
    assert (ann.title, ann.outcome, ann.finished_at) == ("Africa", "sung", show.now - timedelta(seconds=1))


def test_an_undo_takes_back_what_the_fold_takes_back_even_a_turn_sat_out_after_the_action() -> None:
    show = Show()
    for who, title in [("Ann", "Africa"), ("Ben", "Zombie"), ("Cat", "Creep")]:
        show.request(who, title)
    show.advance()  # Ann sings; Ben is called
    show.skip()  # Ben: no-show; Cat is called
    show.do(SkipMyTurn("sit-out", singer("Cat"), "Creep"))  # Cat sits out herself
    assert [o for *_, o in table(show)] == ["no-show", "skipped"]
    show.undo()  # undoes the skip; the fold cuts its history back to before it, Cat's sitting out included
    assert [h.outcome for h in show.state.history] == []
    assert table(show) == []


def test_closing_while_someone_sings_leaves_them_unfinished_never_sung() -> None:
    show = Show()
    show.request("Ann", "Africa")
    show.request("Ben", "Zombie")
    show.advance()
    show.advance()  # Ben at the mic
    show.do(CloseShow("close"))
    assert table(show) == [(1, "Ann", "Africa", "sung"), (2, "Ben", "Zombie", "unfinished")]
    assert [h.outcome for h in show.state.history] == ["sung"]


def test_closing_an_idle_show_adds_nothing() -> None:
    show = Show()
    show.request("Ann", "Africa")
    show.advance()
    show.advance()
    show.do(CloseShow("close"))
    assert table(show) == [(1, "Ann", "Africa", "sung")]


def test_a_row_names_the_singer_as_they_were_then_and_forgetting_them_anonymizes_every_row_of_theirs() -> None:
    show = Show()
    show.request("Ann", "Africa")
    show.request("Ben", "Zombie")
    show.advance()
    show.do(RenameSinger("rename", singer("Ann"), "Annie"))
    show.advance()  # sung as... the name she had when it ended
    show.request("Ann", "Creep")
    show.advance()
    show.advance()
    assert [(p.singer_name, p.title) for p in rows(show)] == [("Annie", "Africa"), ("Ben", "Zombie"),
                                                               ("Annie", "Creep")]
    show.do(ForgetSinger("forget", singer("Ann"), SingerRef("erased", "alias-1", "A singer")))
    assert [(p.singer_name, p.title, p.person_id) for p in rows(show)] == [
        ("A singer", "Africa", None), ("Ben", "Zombie", None), ("A singer", "Creep", None)]


def test_a_row_carries_the_person_behind_the_singer_and_a_linked_account_sings_as_them() -> None:
    show = Show()
    ann_phone = SingerRef("telegram", "1", "Ann", "person-ann")
    ann_slack = SingerRef("slack", "U1", "Ann at work", "person-ann-work")
    show.do(RequestSong("r1", ann_phone, SongRef("africa", "Africa", "Toto"), "africa"))
    show.do(RequestSong("r2", ann_slack, SongRef("creep", "Creep", "Radiohead"), "creep"))
    show.advance()
    show.do(LinkSingers("link", "person-ann", (("telegram", "1"), ("slack", "U1")), ("person-ann-work",)))
    show.advance()
    show.advance()
    assert [(p.title, p.person_id, p.singer_name) for p in rows(show)] == [
        ("Africa", "person-ann", "Ann"), ("Creep", "person-ann", "Ann")]


def _night(seed: int, commands: int) -> tuple[list[Event], ShowState]:
    """A random night decided command by command at a ticking clock; its events and final state."""
    rng = random.Random(seed)
    night = RandomNight(rng)
    show = Show()
    for _ in range(commands):
        with contextlib.suppress(RotationError):
            show.do(night.next(show.state))
        show.now += timedelta(seconds=rng.randint(0, 400))
    with contextlib.suppress(RotationError):
        show.do(night.close())
    return list(show.events), show.state


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), chunk=st.integers(1, 9))
def test_on_any_night_the_rows_are_the_folds_history_and_applying_in_chunks_changes_nothing(
    seed: int, chunk: int
) -> None:
    events, final = _night(seed, 140)
    whole = performances_of(SHOW, events)

    # As a runner would, a few events at a time, each run of them written as one batch of changes.
    view, projection, state = PerformanceRows(), Performances(), ShowState()
    pending: list[object] = []
    for seq, event in enumerate(events, start=1):
        fold_onto(state, [event])
        pending.extend(projection.apply(Step(SHOW, seq, event, state)))
        if seq % chunk == 0:
            view.write(pending)
            pending = []
    view.write(pending)
    assert view.of_show(SHOW) == whole

    history = final.history
    ended = [p for p in whole if p.outcome != "unfinished"]
    assert [p.ordinal for p in whole] == list(range(1, len(whole) + 1))
    assert len(ended) == len(history)
    for row, entry in zip(ended, history, strict=True):
        assert (row.request_id, row.singer_id, row.song_id) == (entry.request_id, entry.singer_id, entry.song.song_id)
        assert (row.started_at, row.finished_at) == (entry.started_at, entry.finished_at)
        assert row.outcome == entry.outcome or (entry.outcome == "skipped" and row.outcome == "no-show")
        assert row.wait_seconds >= 0
    assert [p.request_id for p in whole if p.outcome == "sung"] == [
        h.request_id for h in history if h.outcome == "sung"]
    unfinished = [p for p in whole if p.outcome == "unfinished"]
    assert [p.request_id for p in unfinished] == ([final.now] if final.closed and final.now else [])


def test_a_random_night_is_not_a_quiet_one() -> None:
    """The generator reaches every outcome, so the property above is about something."""
    seen: set[str] = set()
    for seed in range(12):
        events, _ = _night(seed, 200)
        seen |= {p.outcome for p in performances_of(SHOW, events)}
    assert seen == {"sung", "skipped", "voided", "no-show", "unfinished"}
