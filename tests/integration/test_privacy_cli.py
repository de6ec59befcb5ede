"""``karaoke retention sweep`` and ``karaoke people forget``, run as real processes against real databases."""

from __future__ import annotations

import random
from datetime import timedelta

from core.chat import Person
from core.rotation import CloseShow, RotationService, SingerRef, SongRef
from karaoke.bootstrap import AsyncioSleeper, Container, SystemClock, Uuid4Ids
from tests.integration.test_cli import karaoke
from tests.integration.test_erasure_sql import ANN, ANNS_TRACES, _a_night
from tests.privacy_scan import tables_containing
from tests.unit.fakes import FakeClock


async def test_retention_sweep_prints_what_it_removed(container: Container, db_url: str) -> None:
    # Relative to the real clock the command reads: a show closed 40 days before whenever the test runs.
    clock = FakeClock(SystemClock().now() - timedelta(days=45))
    rotation = RotationService(container.shows, clock, Uuid4Ids(), random.Random(1), AsyncioSleeper())
    started = await rotation.open_show("open-old", "Old night")
    await rotation.request_song(started.show_id, "req", SingerRef("telegram", "1", "Ann"),
                                SongRef("s1", "Dreams", "Fleetwood Mac", 240))
    await container.directory.add_kj(started.show_id, Person("telegram", "9", "Kay"))
    clock.advance(5 * 86400)
    await rotation.execute(started.show_id, CloseShow("close-old"))

    result = karaoke(db_url, "retention", "sweep")
    assert result.returncode == 0, result.stderr
    assert "removed (kept 30 days):" in result.stdout and "1 kj roles" in result.stdout
    again = karaoke(db_url, "retention", "sweep")
    assert "1 kj roles" not in again.stdout and "0 kj roles" in again.stdout


def test_the_privacy_commands_have_help() -> None:
    for args in (["people"], ["people", "forget"], ["retention"], ["retention", "sweep"]):
        result = karaoke("sqlite+aiosqlite:///:memory:", *args, "--help")
        assert result.returncode == 0 and "usage: karaoke" in result.stdout, result.stderr


async def test_people_forget_erases_a_person_and_says_so_and_an_unknown_one_is_an_error(
        container: Container, db_url: str) -> None:
    await _a_night(container)
    result = karaoke(db_url, "people", "forget", "telegram", ANN.user_id)
    assert result.returncode == 0, result.stderr
    assert "forgotten: 1 waiting songs withdrawn" in result.stdout and "1 people" in result.stdout
    assert await tables_containing(container.engine, *ANNS_TRACES) == {}
    again = karaoke(db_url, "people", "forget", "telegram", ANN.user_id)
    assert again.returncode == 1 and "nobody known as telegram 777000111" in again.stderr
