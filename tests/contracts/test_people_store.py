"""The ``PeopleStore`` contract on the fake, SQLite and PostgreSQL: a person per identity, walk-ins, link codes
used once (also when two instances race), unlinking, the attempt count, favourites; and which shows a person
sang in (``ShowsOfPeople``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.people import Identity, LinkOutcome, PeopleStore, ShowsOfPeople, hash_link_code
from core.rotation import ShowStore, SongRef
from core.rotation.events import SingerJoined
from storage.db import create_engine
from storage.people import SqlPeopleStore
from tests.contracts.conftest import NOW
from tests.contracts.test_show_store import opened, show
from tests.unit.people_fakes import InMemoryPeopleStore, InMemoryShowsOfPeople
from tests.unit.rotation.fakes import InMemoryShowStore

CODE = hash_link_code("K7QX9MNP")
LATER = NOW + timedelta(minutes=10)
AFRICA = SongRef("song-africa", "Africa", "Toto", 295)
ZOMBIE = SongRef("song-zombie", "Zombie", "The Cranberries", None)


@pytest.fixture
def people(engine: AsyncEngine | None) -> PeopleStore:
    return InMemoryPeopleStore() if engine is None else SqlPeopleStore(engine)


@pytest.fixture
def shows_of(engine: AsyncEngine | None, shows: ShowStore) -> ShowsOfPeople:
    if engine is None:
        assert isinstance(shows, InMemoryShowStore)
        return InMemoryShowsOfPeople(shows)
    return SqlPeopleStore(engine)


async def test_an_identity_is_one_person_from_its_first_sight(people: PeopleStore) -> None:
    assert await people.find("telegram", "555") is None
    ann = await people.person_of("telegram", "555", "p-ann")
    assert ann.person_id == "p-ann" and ann.name is None and not ann.muted
    assert ann.identities == (Identity("telegram", "555"),)
    again = await people.person_of("telegram", "555", "p-other")
    assert again == ann, "a second sight keeps the first person"
    assert await people.find("telegram", "555") == ann
    assert await people.person_of("slack", "555", "p-slack") != ann, "an identity is platform and id together"
    await people.set_name("p-ann", "Annie ✨")
    await people.set_muted("p-ann", True)
    got = await people.get("p-ann")
    assert got is not None and got.name == "Annie ✨" and got.muted


async def test_a_walk_in_is_a_person_without_identities(people: PeopleStore) -> None:
    maria = await people.add_walk_in("w-1", "Maria")
    assert maria.walk_in and maria.name == "Maria"
    assert await people.add_walk_in("w-1", "Someone else") == maria, "adding it again changes nothing"
    assert await people.get("nobody") is None


async def test_a_code_links_the_identitys_person_into_the_codes_person_once(people: PeopleStore) -> None:
    await people.person_of("telegram", "555", "p-ann")
    await people.add_favourite("p-ann", AFRICA, NOW)
    slack = await people.person_of("slack", "U1", "p-slack")
    await people.set_name("p-slack", "Ann S")
    await people.add_favourite("p-slack", AFRICA, NOW)
    await people.add_favourite("p-slack", ZOMBIE, NOW + timedelta(seconds=1))
    await people.add_link_code(CODE, "p-ann", NOW, LATER)
    linked = await people.link(CODE, "slack", "U1", "unused", NOW + timedelta(minutes=5))
    assert linked.outcome is LinkOutcome.DONE and linked.former == slack.person_id
    assert linked.person is not None and linked.person.person_id == "p-ann"
    assert linked.person.identities == (Identity("slack", "U1"), Identity("telegram", "555"))
    assert linked.person.name == "Ann S", "a person without a name takes the linked one's"
    assert await people.get("p-slack") is None
    assert [s.title for s in await people.favourites("p-ann")] == ["Zombie", "Africa"]
    again = await people.link(CODE, "slack", "U2", "p-u2", NOW + timedelta(minutes=6))
    assert again.outcome is LinkOutcome.USED


async def test_a_code_is_refused_when_expired_unknown_or_ones_own(people: PeopleStore) -> None:
    await people.person_of("telegram", "555", "p-ann")
    await people.add_link_code(CODE, "p-ann", NOW, LATER)
    assert (await people.link(hash_link_code("AAAAAAAA"), "slack", "U1", "p1", NOW)).outcome is LinkOutcome.UNKNOWN
    own = await people.link(CODE, "telegram", "555", "p2", NOW)
    assert own.outcome is LinkOutcome.SELF
    assert (await people.link(CODE, "slack", "U1", "p3", LATER)).outcome is LinkOutcome.EXPIRED
    ann = await people.get("p-ann")
    assert ann is not None and ann.identities == (Identity("telegram", "555"),)


async def test_a_walk_in_gets_an_identity_by_a_code_sent_from_their_phone(people: PeopleStore) -> None:
    await people.add_walk_in("w-1", "Maria")
    await people.add_link_code(CODE, "w-1", NOW, LATER)
    linked = await people.link(CODE, "telegram", "999", "p-phone", NOW)
    assert linked.outcome is LinkOutcome.DONE and linked.person is not None
    assert linked.person.name == "Maria" and linked.person.identities == (Identity("telegram", "999"),)
    found = await people.find("telegram", "999")
    assert found is not None and found.person_id == "w-1"


async def test_unlinking_makes_the_identity_a_person_of_its_own_and_refuses_a_lone_one(people: PeopleStore) -> None:
    await people.person_of("telegram", "555", "p-ann")
    await people.set_muted("p-ann", True)
    assert await people.unlink("telegram", "555", "p-new") is None
    assert await people.unlink("telegram", "unknown", "p-new") is None
    await people.add_link_code(CODE, "p-ann", NOW, LATER)
    await people.link(CODE, "slack", "U1", "p-slack", NOW)
    alone = await people.unlink("slack", "U1", "p-new")
    assert alone is not None and alone.person_id == "p-new" and alone.identities == (Identity("slack", "U1"),)
    assert alone.muted and alone.name is None
    ann = await people.get("p-ann")
    assert ann is not None and ann.identities == (Identity("telegram", "555"),)


async def test_link_attempts_are_counted_per_identity_within_the_window(people: PeopleStore) -> None:
    window = timedelta(minutes=10)
    counts = [await people.count_link_attempt("telegram", "555", NOW + timedelta(minutes=i), window)
              for i in range(3)]
    assert counts == [1, 2, 3]
    assert await people.count_link_attempt("slack", "555", NOW, window) == 1
    assert await people.count_link_attempt("telegram", "555", NOW + timedelta(minutes=11), window) == 2


async def test_favourites_are_marked_once_listed_newest_first_and_unmarked(people: PeopleStore) -> None:
    assert await people.add_favourite("p-ann", AFRICA, NOW)
    assert not await people.add_favourite("p-ann", AFRICA, NOW + timedelta(seconds=5))
    assert await people.add_favourite("p-ann", ZOMBIE, NOW + timedelta(seconds=1))
    assert await people.favourites("p-ann") == [ZOMBIE, AFRICA]
    assert await people.remove_favourite("p-ann", "song-africa")
    assert not await people.remove_favourite("p-ann", "song-africa")
    assert await people.favourites("p-ann") == [ZOMBIE]
    assert await people.favourites("p-bob") == []


async def test_two_instances_racing_for_one_code_link_exactly_one_identity(
    people: PeopleStore, backend_url: str | None
) -> None:
    await people.person_of("telegram", "555", "p-ann")
    await people.add_link_code(CODE, "p-ann", NOW, LATER)
    other_engine = create_engine(backend_url) if backend_url is not None else None
    other = SqlPeopleStore(other_engine) if other_engine is not None else people
    try:
        outcomes = await asyncio.gather(people.link(CODE, "slack", "U1", "p1", NOW),
                                        other.link(CODE, "slack", "U2", "p2", NOW))
    finally:
        if other_engine is not None:
            await other_engine.dispose()
    assert sorted(o.outcome.value for o in outcomes) == ["done", "used"]


async def test_the_shows_a_person_sang_in_are_found_by_person_or_identity_newest_first(
    shows: ShowStore, shows_of: ShowsOfPeople, people: PeopleStore
) -> None:
    for n, joined in [(1, SingerJoined("s1", "Ann", "telegram", "555", NOW)),
                      (2, SingerJoined("s2", "Ann", "slack", "U1", NOW, "p-ann")),
                      (3, SingerJoined("s3", "Bob", "telegram", "777", NOW)),
                      (4, SingerJoined("s4", "Maria", None, None, NOW, "w-1"))]:
        await shows.append(show(n), 0, [opened(show(n), f"CODE{n}", minutes=n), joined], f"open{n}")
    ann = await people.person_of("telegram", "555", "p-ann")
    assert await shows_of.shows_of_person(ann, 10) == [show(2), show(1)]
    assert await shows_of.shows_of_person(ann, 1) == [show(2)]
    maria = await people.add_walk_in("w-1", "Maria")
    assert await shows_of.shows_of_person(maria, 10) == [show(4)]
