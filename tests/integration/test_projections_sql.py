"""Projections on real databases: two instances follow a random night as it happens (each event applied once),
and the view they built equals a rebuild (``karaoke projections rebuild``) and agrees with the fold; a failing
projection never holds up the rotation and /readyz names it; erasing a person leaves no trace in the view."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from core.privacy import ANONYMOUS_NAME
from core.projections import PERFORMANCES, Performance, performances_of
from core.rotation import AdvanceQueue, RotationError, SingerRef, SongRef
from karaoke.bootstrap import Container, build
from storage.projections import SqlPerformances, SqlProjectionStore
from tests.conftest import settings_for
from tests.integration.test_cli import karaoke
from tests.privacy_scan import tables_containing
from tests.random_night import RandomNight


@contextlib.asynccontextmanager
async def instance(db_url: str, **settings: object) -> AsyncIterator[Container]:
    """One instance of the service: its own engine, rotation and projection runner, following in the background."""
    async with build(settings_for(db_url, **settings), upgrade=False) as container:
        container.projections.start()
        try:
            yield container
        finally:
            await container.projections.stop()


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.05)


async def caught_up(container: Container) -> bool:
    store = SqlProjectionStore(container.engine, {PERFORMANCES: SqlPerformances(container.engine)})
    return await store.behind(PERFORMANCES) == []


async def view_of(container: Container, show_ids: list[str]) -> dict[str, list[Performance]]:
    view = SqlPerformances(container.engine)
    return {show_id: await view.of_show(show_id) for show_id in show_ids}


async def test_two_instances_follow_a_random_night_and_what_they_built_equals_a_rebuild_and_the_fold(
    db_url: str,
) -> None:
    rng = random.Random(16)
    # SQLite instances in one process hear only their own writes: the other's come with the safety net.
    async with instance(db_url, safety_net_seconds=0.5) as one, instance(db_url, safety_net_seconds=0.5) as two:
        shows = [(await one.rotation.open_show(f"open-{n}", f"Night {n}")).show_id for n in range(2)]
        nights = {show_id: RandomNight(random.Random(n)) for n, show_id in enumerate(shows)}
        erased = False
        for step in range(220):
            show_id = rng.choice(shows)
            rotation = rng.choice([one, two]).rotation
            with contextlib.suppress(RotationError):
                await rotation.execute(show_id, nights[show_id].next(await rotation.state(show_id)))
            if step == 170 and not erased:
                # Ben's Slack account is forgotten: the log is rewritten, and so the views of his shows.
                erased = True
                await one.eraser.forget("slack", "U0006")
            if step % 40 == 0:
                await asyncio.sleep(0.2)  # let the runners take part while the night goes on
        for show_id in shows:
            with contextlib.suppress(RotationError):
                await one.rotation.execute(show_id, nights[show_id].close())
        await until(lambda: caught_up(one))
        built = await view_of(one, shows)

        for show_id in shows:
            one.rotation.drop_cached(show_id)
            log = await one.rotation.log(show_id)
            assert built[show_id] == performances_of(show_id, log)
            state = await one.rotation.state(show_id)
            assert [p.request_id for p in built[show_id] if p.outcome == "sung"] == [
                h.request_id for h in state.history if h.outcome == "sung"]
            assert not any(p.singer_name == "Ben on Slack" for p in built[show_id])
        outcomes = {p.outcome for rows in built.values() for p in rows}
        assert {"sung", "no-show", "voided"} <= outcomes, outcomes

    result = await asyncio.to_thread(karaoke, db_url, "projections", "rebuild", "performances")
    assert result.returncode == 0, result.stderr
    assert "rebuilt performances: 2 shows" in result.stdout
    async with build(settings_for(db_url), upgrade=False) as fresh:
        assert await view_of(fresh, shows) == built


async def _sing(container: Container, show_id: str, *names: str) -> None:
    for name in names:
        await container.rotation.request_song(show_id, f"ask-{show_id}-{name}", SingerRef(None, None, name),
                                              SongRef(str(uuid.uuid4()), f"{name}'s song", "Band", 200))
    for n in range(len(names)):
        await container.rotation.execute(show_id, AdvanceQueue(f"advance-{show_id}-{n}"))


async def _break_the_view(container: Container, broken: bool) -> None:
    """A view that refuses rows naming Boom: a projection meeting data it cannot write."""
    async with container.engine.begin() as conn:
        if container.engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE performances ADD CONSTRAINT no_boom CHECK (singer_name <> 'Boom')"
                                    if broken else "ALTER TABLE performances DROP CONSTRAINT no_boom"))
        else:
            await conn.execute(text(
                "CREATE TRIGGER no_boom BEFORE INSERT ON performances WHEN NEW.singer_name = 'Boom' "
                "BEGIN SELECT RAISE(ABORT, 'no Boom here'); END" if broken else "DROP TRIGGER no_boom"))


async def test_a_failing_projection_never_holds_up_the_rotation_is_named_by_readyz_and_recovers(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.projections.runner")
    async with instance(db_url, safety_net_seconds=0.5) as service:
        await service.search.build()
        await _break_the_view(service, True)
        troubled = (await service.rotation.open_show("open-troubled", "Troubled")).show_id
        fine = (await service.rotation.open_show("open-fine", "Fine")).show_id
        await _sing(service, troubled, "Boom", "Ann", "Cat")  # the rotation goes on as if nothing were wrong
        await _sing(service, fine, "Dan", "Eve")
        assert [h.outcome for h in (await service.rotation.state(troubled)).history] == ["sung", "sung"]

        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test")
        async with http:
            async def failing() -> bool:
                detail: str = (await http.get("/api/v1/readyz")).json()["details"]["projections"]["performances"]
                return detail.startswith("failing")

            await until(failing)
            answer = await http.get("/api/v1/readyz")
            assert answer.status_code == 200 and answer.json()["status"] == "ready"
            detail = answer.json()["details"]["projections"]["performances"]
            assert "on 1 show" in detail and "IntegrityError" in detail and "retrying" in detail
            await until(lambda: _rows(service, fine, 1))  # the other show is not held up
            # The history still answers, with what the view has for the troubled show (nothing yet).
            csv = await http.get(f"/api/v1/shows/{troubled}/history", params={"format": "csv"})
            assert csv.status_code == 200 and csv.text.count("\n") == 1

            await _break_the_view(service, False)
            await until(lambda: _rows(service, troubled, 2))
            assert (await http.get("/api/v1/readyz")).json()["details"]["projections"]["performances"] == "ok"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "core.projections.runner"]
    assert len(errors) == 1 and "projection performances failed on show" in errors[0].getMessage()
    recovered = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "core.projections.runner"]
    assert len(recovered) == 1 and "applies events again" in recovered[0].getMessage()


async def _rows(container: Container, show_id: str, count: int) -> bool:
    return len(await SqlPerformances(container.engine).of_show(show_id)) == count


async def test_erasing_a_person_leaves_no_trace_in_the_view_which_is_built_again_anonymously(
    container: Container,
) -> None:
    show_id = (await container.rotation.open_show("open", "Friday")).show_id
    ann = SingerRef("telegram", "777000111", "Annabel Quux")
    await container.rotation.request_song(show_id, "ask-ann", ann,
                                          SongRef(str(uuid.uuid4()), "Africa", "Toto", 200))
    await _sing(container, show_id, "Ben")  # Ann sings
    await container.rotation.execute(show_id, AdvanceQueue("advance-ben"))  # Ann done, Ben sings
    await container.rotation.execute(show_id, AdvanceQueue("advance-last"))
    names = [p.singer_name for p in await container.performances.of_show(show_id)]
    assert names == ["Annabel Quux", "Ben"]
    assert "performances" in await tables_containing(container.engine, "Annabel Quux")

    assert await container.eraser.forget("telegram", ann.user_id or "") is not None
    assert await tables_containing(container.engine, "Annabel Quux", "777000111") == {}
    rows = await container.performances.of_show(show_id)
    assert [(p.singer_name, p.person_id, p.title) for p in rows] == [(ANONYMOUS_NAME, None, "Africa"),
                                                                     ("Ben", None, "Ben's song")]
    assert rows == performances_of(show_id, await container.rotation.log(show_id))
    await container.projections.rebuild(PERFORMANCES)
    assert await container.performances.of_show(show_id) == rows


def test_the_rebuild_command_names_the_views_it_knows(db_url: str) -> None:
    unknown = karaoke(db_url, "projections", "rebuild", "nope")
    assert unknown.returncode == 2 and "no projection is named 'nope'; there are: performances" in unknown.stderr
    every = karaoke(db_url, "projections", "rebuild")
    assert every.returncode == 0, every.stderr
    assert "rebuilt performances: 0 shows, 0 events applied" in every.stdout
