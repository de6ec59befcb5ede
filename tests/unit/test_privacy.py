"""Forgetting a person: what changes in a show's events, and the conversation of ``/forgetme``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from core.privacy import (
    ANONYMOUS_NAME,
    ERASED_PLATFORM,
    PeopleEraser,
    RetentionSweeper,
    erase_person,
    erased_command_id,
)
from core.rotation import (
    ForgetSinger,
    NotFound,
    RotationService,
    ShowSettings,
    SingerRef,
    SongRef,
    decide,
    evolve,
    fold,
)
from core.rotation.events import (
    Event,
    PerformanceFinished,
    PerformanceStarted,
    ShowClosed,
    ShowOpened,
    SingerForgotten,
    SingerJoined,
    SingerRenamed,
    SingersLinked,
    SongRequested,
)
from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import Night
from tests.unit.fakes import FakeClock
from tests.unit.privacy_fakes import InMemoryErasure
from tests.unit.rotation.fakes import CountingIds, InMemoryShowStore, RecordingSleeper

T = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


def _night() -> list[tuple[int, Event]]:
    events: list[Event] = [
        ShowOpened("show", "Friday", "ABCDE", ShowSettings(), T, T),
        SingerJoined("s-ann", "Ann", "telegram", "777", T),
        SingerJoined("s-bob", "Bob", "telegram", "888", T),
        SingerJoined("s-walk", "Ann", None, None, T),  # a walk-in who happens to share the name
        SongRequested("r1", "s-ann", "song1", "Dreams", "Fleetwood Mac", 240, T),
        SingerRenamed("s-ann", "Queen Ann", T),
        SongRequested("r2", "s-bob", "song2", "Zombie", "The Cranberries", 200, T),
        PerformanceStarted("r1", "s-ann", None, True, T),
        PerformanceFinished("r1", "s-ann", T),
    ]
    return list(enumerate(events, start=1))


def test_the_person_s_singer_becomes_anonymous_and_nothing_else_changes() -> None:
    events = _night()
    changed = dict(erase_person(events, "telegram", "777", "a1b2c3"))
    assert changed == {
        2: SingerJoined("s-ann", ANONYMOUS_NAME, ERASED_PLATFORM, "a1b2c3", T),
        6: SingerRenamed("s-ann", ANONYMOUS_NAME, T),
    }


def test_the_rewritten_show_folds_to_the_same_night_with_an_anonymous_singer() -> None:
    events = _night()
    before = fold(e for _, e in events)
    rewritten = dict(events) | dict(erase_person(events, "telegram", "777", "a1b2c3"))
    after = fold(rewritten[seq] for seq in sorted(rewritten))
    assert after.singers["s-ann"].name == ANONYMOUS_NAME
    assert (after.singers["s-ann"].platform, after.singers["s-ann"].user_id) == (ERASED_PLATFORM, "a1b2c3")
    assert ("telegram", "777") not in after.singer_keys
    # Everything but the identity is as it was: the history, the requests, the order, the other singers.
    assert after.history == before.history and after.requests == before.requests
    assert after.rotation == before.rotation and after.singers["s-bob"] == before.singers["s-bob"]
    assert after.singers["s-walk"] == before.singers["s-walk"]


def test_someone_who_never_sang_changes_no_event() -> None:
    assert erase_person(_night(), "slack", "777", "x") == []


@pytest.mark.parametrize(("command_id", "erased"), [
    ("chat:slack:action:U07ANN:1.2:3.4", "chat:slack:action:zz:1.2:3.4"),
    ("chat:telegram:70000012", "chat:telegram:70000012"),
    ("chat:slack:action:U07ANNA:1.2:3.4", "chat:slack:action:U07ANNA:1.2:3.4"),
])
def test_command_ids_lose_the_person_s_id_and_only_theirs(command_id: str, erased: str) -> None:
    assert erased_command_id(command_id, "U07ANN", "zz") == erased


async def test_forgetme_asks_first_names_the_waiting_songs_and_then_forgets() -> None:
    night = await Night(forgetting=True).start()
    await night.open("kim", "bar", "Friday Night")
    await play(night, [
        ("ann", "dm", "/start {code}", ["You're in"]),
        ("ann", "dm", "/request bohemain rhapsody", ["Queued Bohemian Rhapsody"]),
        ("ann", "dm", "/name Queen Ann", ["You'll be shown as “Queen Ann”"]),
        ("ann", "dm", "/forgetme", ["Forget you?", "Your song still waiting is taken out of the queue too."]),
    ])
    assert [b.label for r in night.last for b in r.buttons] == ["Yes, forget me", "No, keep me"]
    assert await night.press("ann", "dm", "No, keep me") == "OK, nothing was forgotten."
    assert night.erasure.forgotten == []
    await night.say("ann", "dm", "/forgetme")
    assert "I've forgotten you" in await night.press("ann", "dm", "Yes, forget me")
    [(platform, user_id, alias)] = night.erasure.forgotten
    assert (platform, user_id) == ("test", "u-ann")
    show_id = next(iter(night.store.rows))
    state = await night.rotation.state(show_id)
    [singer] = state.singers.values()
    assert (singer.name, singer.platform, singer.user_id) == (ANONYMOUS_NAME, ERASED_PLATFORM, alias)
    assert await night.queue_titles() == [], "her waiting song left the queue"
    # The answer after forgetting does not carry her name.
    assert all(r.to_person is None or r.to_person.name == "" for r in night.last)


async def test_forgetme_for_someone_unknown_says_there_was_nothing_and_without_an_eraser_says_it_cannot() -> None:
    night = await Night(forgetting=True).start()
    assert "Forget you?" in await night.say("zed", "dm", "/forgetme")
    assert "nothing about you left to forget" in await night.press("zed", "dm", "Yes, forget me")
    plain = await Night().start()
    assert "can't forget people here" in await plain.say("zed", "dm", "/forgetme")


class _CountingStore:
    def __init__(self) -> None:
        self.cutoffs: list[datetime] = []

    async def sweep(self, cutoff: datetime) -> dict[str, int]:
        self.cutoffs.append(cutoff)
        return {"notices": 2, "inbox": 0}


async def test_the_sweep_cuts_off_retention_before_the_clock_s_now_and_refuses_no_retention() -> None:
    store = _CountingStore()
    assert await RetentionSweeper(store, FakeClock(T), timedelta(days=30)).sweep() == {"notices": 2, "inbox": 0}
    assert store.cutoffs == [T - timedelta(days=30)]
    with pytest.raises(ValueError, match="positive"):
        RetentionSweeper(store, FakeClock(T), timedelta(0))


def test_forgetting_a_singer_is_an_event_every_reader_folds_and_it_works_on_a_closed_show() -> None:
    events = [e for _, e in _night()] + [ShowClosed(T)]
    state = fold(events)
    anonymous = SingerRef(ERASED_PLATFORM, "a1b2c3", ANONYMOUS_NAME)
    [forgot] = decide(state, ForgetSinger("f", SingerRef("telegram", "777", "x"), anonymous), T)
    assert forgot == SingerForgotten("s-ann", ANONYMOUS_NAME, ERASED_PLATFORM, "a1b2c3", T)
    after = evolve(state, forgot)
    assert after.singers["s-ann"].name == ANONYMOUS_NAME and ("telegram", "777") not in after.singer_keys
    assert after.singer_keys[(ERASED_PLATFORM, "a1b2c3")] == "s-ann"
    # Folding the rewritten log with the event gives the same state as applying it to the original.
    rewritten = dict(_night()) | dict(erase_person(_night(), "telegram", "777", "a1b2c3"))
    refolded = fold([*(rewritten[s] for s in sorted(rewritten)), ShowClosed(T), forgot])
    assert refolded.singers == after.singers and refolded.singer_keys == after.singer_keys
    with pytest.raises(NotFound):
        decide(after, ForgetSinger("f2", SingerRef("telegram", "777", "x"), anonymous), T)


async def test_a_process_holding_the_show_forgets_them_on_its_next_read() -> None:
    store = InMemoryShowStore()
    clock = FakeClock(T)
    here = RotationService(store, clock, CountingIds(), random.Random(1), RecordingSleeper())
    elsewhere = RotationService(store, clock, CountingIds(), random.Random(2), RecordingSleeper())
    started = await here.open_show("open", "Friday")
    await here.request_song(started.show_id, "r", SingerRef("telegram", "777", "Ann"), SongRef("s", "Dreams", "X", 1))
    assert (await elsewhere.state(started.show_id)).singers  # cached there now
    eraser = PeopleEraser(here, InMemoryErasure(store), lambda: "a1b2c3")
    assert await eraser.forget("telegram", "777") is not None
    [singer] = (await elsewhere.state(started.show_id)).singers.values()
    assert singer.name == ANONYMOUS_NAME
    assert "Ann" not in repr(await elsewhere.log(started.show_id)), "its copy of the log forgot her too"


def _linked_night() -> list[tuple[int, Event]]:
    """Ann joined from Telegram as person p-ann, sang, and waits with a second song; her Slack account (the
    same person) joined too and was linked into her singer; Bob waits."""
    events: list[Event] = [
        ShowOpened("show", "Friday", "ABCDE", ShowSettings(), T, T),
        SingerJoined("s-ann", "Annabel", "telegram", "777", T, "p-ann"),
        SingerJoined("s-ann2", "Ann S", "slack", "U7", T, "p-ann-slack"),
        SingerJoined("s-bob", "Bob", "telegram", "888", T, "p-bob"),
        SongRequested("r1", "s-ann", "song1", "Dreams", "Fleetwood Mac", 240, T),
        SongRequested("r2", "s-ann2", "song2", "Zombie", "The Cranberries", 200, T),
        SongRequested("r3", "s-bob", "song3", "Africa", "Toto", 200, T),
        SingersLinked("s-ann", "p-ann", ("s-ann2",), None, T),
        PerformanceStarted("r1", "s-ann", None, True, T),
        PerformanceFinished("r1", "s-ann", T),
    ]
    return list(enumerate(events, start=1))


def test_forgetting_one_account_of_a_person_who_keeps_another_keeps_their_singer_theirs() -> None:
    events = _linked_night()
    state = fold(e for _, e in events)
    anonymous = SingerRef(ERASED_PLATFORM, "a1b2c3", ANONYMOUS_NAME)
    [forgot] = decide(state, ForgetSinger("f", SingerRef("telegram", "777", "x"), anonymous,
                                          (("p-ann", "Ann S"),)), T)
    assert forgot == SingerForgotten("s-ann", "Ann S", ERASED_PLATFORM, "a1b2c3", T, "p-ann")
    after = evolve(state, forgot)
    ann = after.singers["s-ann"]
    assert (ann.name, ann.platform, ann.person_id) == ("Ann S", ERASED_PLATFORM, "p-ann")
    # Telegram's key is gone; the person and the Slack account still find the same singer, songs and all.
    assert ("telegram", "777") not in after.singer_keys
    assert after.singer_of(SingerRef("slack", "U7", "Ann S", "p-ann")) == "s-ann"
    assert after.pending_of("s-ann") == ["r2"] and after.history == state.history
    # The rewritten log, with the event, folds to the same state; nothing in it names Telegram's Ann.
    rewritten = dict(events) | dict(erase_person(events, "telegram", "777", "a1b2c3"))
    refolded = fold([*(rewritten[s] for s in sorted(rewritten)), forgot])
    assert refolded.singers == after.singers and refolded.singer_keys == after.singer_keys
    assert "Annabel" not in repr(rewritten) and "'777'" not in repr(rewritten)


def test_forgetting_the_linked_in_account_leaves_the_singer_it_joined_and_no_key_of_it() -> None:
    events = _linked_night()
    state = fold(e for _, e in events)
    anonymous = SingerRef(ERASED_PLATFORM, "zz", ANONYMOUS_NAME)
    # Slack's own singer was merged into Telegram's: that one is forgotten, the person's singer is untouched.
    [forgot] = decide(state, ForgetSinger("f", SingerRef("slack", "U7", "x"), anonymous, (("p-ann", "Annabel"),)), T)
    # It joined as another person, since merged into Ann's: it goes as nobody's.
    assert forgot == SingerForgotten("s-ann2", ANONYMOUS_NAME, ERASED_PLATFORM, "zz", T)
    after = evolve(state, forgot)
    assert ("slack", "U7") not in after.singer_keys and after.singers["s-ann"] == state.singers["s-ann"]
    assert after.pending_of("s-ann") == ["r2"]
    rewritten = dict(events) | dict(erase_person(events, "slack", "U7", "zz"))
    refolded = fold([*(rewritten[s] for s in sorted(rewritten)), forgot])
    assert refolded.singers == after.singers and refolded.singer_keys == after.singer_keys


async def test_forgetme_on_one_of_two_linked_accounts_keeps_the_person_their_songs_and_turn() -> None:
    night = await Night(forgetting=True).start()
    await night.open("kim", "bar", "Friday Night")
    await play(night, [
        ("ann@telegram", "dm", "/start {code}", ["You're in"]),
        ("ann@telegram", "dm", "/request bohemian rhapsody", ["Queued Bohemian Rhapsody"]),
        ("ann@telegram", "dm", "/request zombie", ["Queued Zombie"]),
        ("ann@telegram", "dm", "/fav waterloo", ["Kept Waterloo"]),
        ("ann@telegram", "dm", "/link", ["Your link code"]),
    ])
    code = night.last[0].text.split("code: ")[1][:8]
    await play(night, [
        ("ann@slack", "dm", f"/link {code}", ["Linked"]),
        ("bob", "dm", "/join {code}", ["You're in"]),
        ("bob", "dm", "/request africa", ["Queued"]),
        ("ann@telegram", "dm", "/forgetme", ["Forget this account?", "You're linked to Slack: that stays you"]),
    ])
    assert "taken out of the queue" not in night.last[0].text
    assert "Slack goes on as you" in await night.press("ann@telegram", "dm", "Yes, forget me")
    # Slack's Ann is the same singer with both songs and her place; her favourites are hers still.
    await play(night, [
        ("kim", "bar", "/queue", ["1. Ann — Bohemian Rhapsody", "2. Bob — Africa", "3. Ann — Zombie"]),
        ("ann@slack", "dm", "/favs", ["Waterloo — ABBA"]),
        ("ann@slack", "dm", "/join {code}", ["You're in"]),
        ("ann@slack", "dm", "/mysongs", ["Bohemian Rhapsody", "Zombie"]),
        ("ann@slack", "dm", "/request dancing queen", ["Queued Dancing Queen — ABBA. You're 4th"]),
        ("ann@slack", "dm", "/request waterloo", ["You already have 3 songs waiting"]),  # one limit, hers
    ])
    person = await night.people_store.find("slack", "u-ann")
    assert person is not None and [i.platform for i in person.identities] == ["slack"]
    assert await night.people_store.find("telegram", "u-ann") is None
    show_id = next(iter(night.store.rows))
    log = repr(await night.rotation.log(show_id))
    assert "'telegram', 'u-ann'" not in log and "platform='telegram'" not in log
