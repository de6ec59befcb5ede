"""The ``ChatDirectory`` contract on the fake, SQLite and PostgreSQL: rooms, people, KJs, stage names,
private chats, muting and button choices."""

from __future__ import annotations

from datetime import UTC, datetime

from core.chat import ChatDirectory, Choice, Person, Room

ANN = Person("tg", "1", "Ann", "AnnSings")
ANN_RENAMED = Person("tg", "1", "Ann B", "annb")
BOB = Person("tg", "2", "Bob", None)
ANN_ON_SLACK = Person("slack", "1", "Ann", "annsings")


async def test_rooms_bind_to_the_latest_show(directory: ChatDirectory) -> None:
    bar, other = Room("tg", "-100", False), Room("slack", "-100", False)
    assert await directory.show_of_room(bar) is None
    await directory.bind_room(bar, "s1")
    await directory.bind_room(bar, "s2")
    assert await directory.show_of_room(bar) == "s2"
    assert await directory.show_of_room(other) is None


async def test_a_person_has_one_current_show(directory: ChatDirectory) -> None:
    assert await directory.current_show(ANN) is None
    await directory.set_current_show(ANN, "s1")
    await directory.set_current_show(ANN_RENAMED, "s2")  # same (platform, user_id)
    assert await directory.current_show(ANN) == "s2"
    assert await directory.current_show(ANN_ON_SLACK) is None


async def test_kjs_are_per_show_and_adding_twice_is_harmless(directory: ChatDirectory) -> None:
    await directory.add_kj("s1", ANN)
    await directory.add_kj("s1", ANN_RENAMED)
    assert await directory.is_kj("s1", ANN)
    assert not await directory.is_kj("s2", ANN)
    assert not await directory.is_kj("s1", BOB)
    assert not await directory.is_kj("s1", ANN_ON_SLACK)


async def test_people_are_found_by_username_per_platform_ignoring_case(directory: ChatDirectory) -> None:
    await directory.remember_person(ANN)
    await directory.remember_person(BOB)
    assert await directory.find_person("tg", "annsings") == ANN
    assert await directory.find_person("slack", "annsings") is None
    await directory.remember_person(ANN_RENAMED)
    assert await directory.find_person("tg", "annsings") is None
    assert await directory.find_person("tg", "ANNB") == ANN_RENAMED


async def test_a_private_room_is_remembered_with_its_person_new_or_renamed(directory: ChatDirectory) -> None:
    ann_room, bob_room = Room("tg", "1", True), Room("tg", "2", True)
    await directory.remember_private_room(ANN, ann_room)
    assert await directory.find_person("tg", "annsings") == ANN
    reach = await directory.reach("tg", "1")
    assert reach is not None and reach.person == ANN and reach.private_room == ann_room
    await directory.set_current_show(ANN, "s1")
    await directory.remember_private_room(ANN_RENAMED, ann_room)
    assert await directory.find_person("tg", "annb") == ANN_RENAMED
    assert await directory.current_show(ANN) == "s1", "what else was remembered of them stays"
    await directory.remember_person(BOB)
    await directory.remember_private_room(BOB, bob_room)
    reach = await directory.reach("tg", "2")
    assert reach is not None and reach.person == BOB and reach.private_room == bob_room


async def test_stage_names_are_remembered(directory: ChatDirectory) -> None:
    assert await directory.stage_name(ANN) is None
    await directory.set_stage_name(ANN, "Queen Ann")
    assert await directory.stage_name(ANN_RENAMED) == "Queen Ann"


async def test_choices_are_kept_by_token_even_after_expiry(directory: ChatDirectory) -> None:
    choice = Choice("t1", "tg", "1", "s1", "request", "song-1", datetime(2020, 1, 1, tzinfo=UTC))
    other = Choice("t3", "tg", "1", "s1", "cancel", "request-9", datetime(2020, 1, 1, tzinfo=UTC))
    await directory.save_choices([choice, other])
    assert await directory.get_choice("t1") == choice
    assert await directory.get_choice("t3") == other
    assert await directory.get_choice("t2") is None
