"""People, not accounts: whichever identity a person asks from, the rotation counts them once per round.

A ``SingerRef`` may name the person behind the identity; identities of one person find one singer, and
``LinkSingers`` makes singers who turn out to be one person into one singer, fairly.
"""

from __future__ import annotations

import pytest

from core.rotation import (
    AdvanceQueue,
    Conflict,
    LimitReached,
    LinkSingers,
    NotFound,
    RequestSong,
    ShowSettings,
    SingerRef,
    SongRef,
    Undo,
    event_from_dict,
    event_to_dict,
    fold,
)
from core.rotation.events import SingersLinked

from .harness import Show

ANN = "person-ann"
ANN_TG = SingerRef("telegram", "111", "Ann", ANN)
ANN_SLACK = SingerRef("slack", "U111", "Ann", ANN)
BOB = SingerRef("telegram", "222", "Bob", "person-bob")
CAT = SingerRef("slack", "U333", "Cat", "person-cat")


def ask(show: Show, who: SingerRef, title: str) -> None:
    show.do(RequestSong(f"req-{title}", who, SongRef(title, title, "Artist", 180), title))


def link(show: Show, person_id: str, *identities: SingerRef, former: tuple[str, ...] = ()) -> None:
    show.do(LinkSingers(f"link-{len(show.events)}", person_id,
                        tuple((i.platform or "", i.user_id or "") for i in identities), former))


def test_a_person_asking_from_telegram_and_slack_is_one_singer_and_sings_once_a_round() -> None:
    show = Show()
    ask(show, ANN_TG, "A1")
    ask(show, ANN_SLACK, "A2")
    ask(show, BOB, "B1")
    ask(show, CAT, "C1")
    assert len(show.state.rotation) == 3
    assert show.upcoming() == ["A1", "B1", "C1", "A2"]
    assert show.replayed() == show.state


def test_the_same_identities_without_a_person_are_two_singers_as_before() -> None:
    show = Show()
    ask(show, SingerRef("telegram", "111", "Ann"), "A1")
    ask(show, SingerRef("slack", "U111", "Ann"), "A2")
    ask(show, BOB, "B1")
    assert show.upcoming() == ["A1", "A2", "B1"]


def test_max_pending_counts_a_persons_songs_from_every_platform() -> None:
    show = Show(ShowSettings(max_pending=2))
    ask(show, ANN_TG, "A1")
    ask(show, ANN_SLACK, "A2")
    with pytest.raises(LimitReached):
        ask(show, ANN_SLACK, "A3")
    with pytest.raises(LimitReached):
        ask(show, ANN_TG, "A3")
    ask(show, BOB, "B1")


def test_linking_two_singers_with_songs_waiting_makes_one_list_and_one_turn_a_round() -> None:
    show = Show()
    tg = SingerRef("telegram", "111", "Ann", "p-tg")
    slack = SingerRef("slack", "U111", "Ann S", "p-slack")
    ask(show, tg, "A1")
    ask(show, slack, "A2")
    ask(show, BOB, "B1")
    ask(show, CAT, "C1")
    assert show.upcoming() == ["A1", "A2", "B1", "C1"]
    link(show, "p-tg", tg, slack, former=("p-slack",))
    # One singer at the earlier place (Ann's first join), her songs in the order she asked for them.
    assert show.upcoming() == ["A1", "B1", "C1", "A2"]
    assert len(show.state.rotation) == 3
    kept = show.state.singer_of(tg)
    assert kept is not None and show.state.singer_of(slack) == kept
    assert show.state.pending_of(kept) == ["A1", "A2"]
    assert show.replayed() == show.state


def test_linking_mid_round_releases_a_call_that_would_have_her_sing_twice() -> None:
    show = Show()
    tg = SingerRef("telegram", "111", "Ann", "p-tg")
    slack = SingerRef("slack", "U111", "Ann", "p-slack")
    ask(show, tg, "A1")
    ask(show, slack, "A2")
    ask(show, BOB, "B1")
    show.do(AdvanceQueue("adv"))
    assert show.now_singing() == "A1" and show.upcoming()[0] == "A2"  # her Slack self was called next
    link(show, "p-tg", tg, slack, former=("p-slack",))
    linked = show.events[-1]
    assert isinstance(linked, SingersLinked) and linked.next_up is None
    assert show.upcoming() == ["B1", "A2"]
    show.do(AdvanceQueue("adv2"))
    assert show.now_singing() == "B1"
    assert show.replayed() == show.state


def test_linking_keeps_a_call_that_opens_the_next_round_anyway() -> None:
    show = Show()
    tg = SingerRef("telegram", "111", "Ann", "p-tg")
    slack = SingerRef("slack", "U111", "Ann", "p-slack")
    ask(show, BOB, "B1")
    ask(show, tg, "A1")
    ask(show, slack, "A2")
    show.do(AdvanceQueue("adv1"))  # Bob
    show.do(AdvanceQueue("adv2"))  # Ann (Telegram); Ann (Slack) is called
    assert show.upcoming() == ["A2"]
    link(show, "p-tg", tg, slack, former=("p-slack",))
    # Nobody else is owed a turn: her next song opens round 2, so the call stands.
    assert show.upcoming() == ["A2"]
    assert show.state.next_up == "A2"


def test_linking_someone_alone_in_the_show_marks_the_singer_as_theirs() -> None:
    show = Show()
    legacy = SingerRef("telegram", "111", "Ann")  # joined before people existed
    ask(show, legacy, "A1")
    link(show, ANN, ANN_TG, ANN_SLACK)
    ask(show, ANN_SLACK, "A2")
    assert len(show.state.rotation) == 1
    with pytest.raises(Conflict):
        link(show, ANN, ANN_TG, ANN_SLACK)


def test_linking_people_who_are_not_in_the_show_is_refused() -> None:
    show = Show()
    ask(show, BOB, "B1")
    with pytest.raises(NotFound):
        link(show, ANN, ANN_TG, ANN_SLACK)


def test_an_identity_already_in_the_show_without_a_person_is_the_same_singer_with_one() -> None:
    show = Show()
    ask(show, SingerRef("telegram", "111", "Ann"), "A1")
    ask(show, ANN_TG, "A2")
    assert len(show.state.rotation) == 1


def test_an_unlinked_identity_is_a_singer_of_its_own_from_its_next_request() -> None:
    show = Show()
    ask(show, ANN_SLACK, "A1")  # she joined from Slack as the person Ann
    ask(show, ANN_TG, "A2")
    unlinked = SingerRef("slack", "U111", "Ann", "person-new")
    ask(show, unlinked, "A3")
    assert len(show.state.rotation) == 2
    ann = show.state.singer_of(ANN_TG)
    assert ann is not None and show.state.pending_of(ann) == ["A1", "A2"]
    assert show.state.singer_of(unlinked) not in (None, ann)


def test_two_walk_ins_of_one_name_with_their_own_person_are_two_singers() -> None:
    show = Show()
    maria = SingerRef(None, None, "Maria", "walk-in-1")
    other = SingerRef(None, None, "maria", "walk-in-2")
    ask(show, maria, "M1")
    ask(show, other, "M2")
    ask(show, maria, "M3")
    assert len(show.state.rotation) == 2
    first = show.state.singer_of(maria)
    assert first is not None and show.state.pending_of(first) == ["M1", "M3"]


def test_undoing_a_kj_action_from_before_a_link_counts_the_turn_for_the_linked_singer() -> None:
    show = Show()
    tg = SingerRef("telegram", "111", "Ann", "p-tg")
    slack = SingerRef("slack", "U111", "Ann", "p-slack")
    ask(show, BOB, "B1")
    ask(show, slack, "A1")
    ask(show, tg, "A2")
    show.do(AdvanceQueue("adv1"))  # Bob
    show.do(AdvanceQueue("adv2"))  # Ann from Slack sings; her Telegram self is owed nothing more
    link(show, "p-tg", tg, slack, former=("p-slack",))
    show.do(Undo("undo"))
    assert all(singer_id in show.state.rotation for singer_id in show.state.round_used)
    assert show.replayed() == show.state


def test_a_linked_stream_replays_from_json_to_the_same_state() -> None:
    show = Show()
    tg = SingerRef("telegram", "111", "Ann", "p-tg")
    slack = SingerRef("slack", "U111", "Ann", "p-slack")
    ask(show, tg, "A1")
    ask(show, slack, "A2")
    link(show, "p-tg", tg, slack, former=("p-slack",))
    decoded = [event_from_dict(*event_to_dict(e)) for e in show.events]
    assert fold(decoded) == show.state
