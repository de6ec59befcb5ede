"""A database outage, on real PostgreSQL: the API answers 503 ``unavailable`` with ``Retry-After``, the
service logs one line when it starts and one when it ends (API and background loops together), and
everything resumes by itself.

The outage is made two ways: a loopback TCP relay between the service and PostgreSQL is closed (the
server is gone: connections refused) and opened again on the same port; and the database's connections
are terminated with ``pg_terminate_backend`` (a restart as the pool sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.app import create_app
from core.chat import Person, Room, Said
from core.delivery import Delivered, OutboxItem, SendOutcome
from karaoke.bootstrap import Container, background, build
from karaoke.logs import quiet_scheduler
from tests.conftest import ADMIN_TOKEN, fresh_database, run_outside_transactions, settings_for
from tests.integration.test_cli import _env, _free_port, _Running

pytestmark = pytest.mark.postgres
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Relay:
    """A TCP relay on 127.0.0.1 to PostgreSQL that can be closed (every connection cut, new ones refused)
    and opened again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._pipes):
            writer.close()
        self._pipes.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._pipes |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._pipes -= {writer, up_writer}


class Quiet:
    """A console sender that takes every message."""

    platform = "console"

    def __init__(self) -> None:
        self.sent: list[OutboxItem] = []

    async def send(self, item: OutboxItem) -> SendOutcome:
        self.sent.append(item)
        return Delivered()


@pytest.fixture
def pg_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request, "postgresql", tmp_path)


@contextlib.asynccontextmanager
async def running(url: str) -> AsyncIterator[tuple[Container, httpx.AsyncClient, Quiet]]:
    settings = settings_for(url, outbox_poll_seconds=0.05, safety_net_seconds=0.1)
    sender = Quiet()
    quiet_scheduler()  # as `karaoke serve` logs
    async with build(settings, upgrade=False) as container:
        container.outages.probe_seconds = 0.1  # the test's outages are short
        async with background(container, {"console": sender}):
            for _ in range(200):
                if container.search.ready:
                    break
                await asyncio.sleep(0.05)
            transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield container, http, sender


def hello(update: str) -> Said:
    return Said(Person("console", "ann", "Ann"), Room("console", "lobby", private=True), "/help", update)


# Search answers from its in-memory index (an empty catalog needs no database), so it is not among them.
READS = ["/api/v1/shows", "/api/v1/songs", "/api/v1/readyz"]


def warnings_and_worse(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What each warning (or worse) says, without the details after a parenthesis or comma."""
    return [r.getMessage().split(" (")[0].split(",")[0] for r in caplog.records if r.levelno >= logging.WARNING]


async def test_while_postgresql_is_gone_the_api_answers_503_and_the_log_says_so_once_then_all_resumes(
    pg_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    target = make_url(pg_db)
    relay = Relay(target.host or "127.0.0.1", target.port or 5432)
    await relay.open()
    url = target.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    try:
        async with running(url) as (container, http, sender):
            created = await http.post("/api/v1/shows", json={"name": "Outage night"}, headers=ADMIN)
            assert created.status_code == 201
            caplog.clear()
            with caplog.at_level(logging.INFO):
                await relay.close()
                answers = []
                # Two seconds of outage with every background loop polling and the API asked 60 times.
                for round_ in range(15):
                    for path in READS:
                        answers.append(await http.get(path))
                    await asyncio.sleep(2 / 15)
                    assert round_ or container.outages.down
                write = await http.post("/api/v1/shows", json={"name": "Another"}, headers=ADMIN)
                answers.append(write)
                for answer in answers:
                    assert answer.status_code == 503, (answer.request.url, answer.text)
                    assert answer.json()["error"]["code"] == "unavailable"
                    if answer.request.url.path != "/api/v1/readyz":
                        assert answer.headers["retry-after"] == "2"
                during = warnings_and_worse(caplog)
                await relay.open()
                for _ in range(100):
                    if not container.outages.down:
                        break
                    await asyncio.sleep(0.05)
                assert not container.outages.down, "the outage never ended"
                # Everything resumes by itself: the API, and the inbox worker and dispatcher behind a chat message.
                assert (await http.get("/api/v1/shows")).status_code == 200
                assert (await http.get("/api/v1/readyz")).status_code == 200
                await container.inbox.put(hello("after-the-outage"))
                for _ in range(200):
                    if sender.sent:
                        break
                    await asyncio.sleep(0.05)
                assert sender.sent, "the loops did not resume"
            logged = warnings_and_worse(caplog)
    finally:
        await relay.close()
    assert during == ["the database is unreachable"]
    assert logged == ["the database is unreachable", "the database answers again"]
    assert not any(r.exc_info for r in caplog.records), "no traceback for an outage"


async def test_connections_terminated_under_the_service_answer_503_not_500_and_it_recovers(
    pg_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(pg_db) as (container, http, _):
        assert (await http.get("/api/v1/shows")).status_code == 200
        caplog.clear()
        with caplog.at_level(logging.INFO):
            await run_outside_transactions(
                pg_db,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            statuses = [(await http.get("/api/v1/shows")).status_code for _ in range(5)]
            for _ in range(100):
                if not container.outages.down:
                    break
                await asyncio.sleep(0.05)
            assert (await http.get("/api/v1/shows")).status_code == 200
        # The pool's dead connections fail once each (all of them are dropped at the first), never with a 500.
        assert set(statuses) <= {200, 503} and 500 not in statuses
        assert statuses[-1] == 200
        messages = warnings_and_worse(caplog)
        assert messages in ([], ["the database is unreachable", "the database answers again"]), messages
        assert not any(r.exc_info for r in caplog.records)
        async with container.engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1


class RelayThread:
    """A ``Relay`` on an event loop of its own thread, for a service running as another process."""

    def __init__(self, host: str, port: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.relay = Relay(host, port)

    def call(self, action: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run_coroutine_threadsafe(action(), self.loop).result(10)

    def stop(self) -> None:
        self.call(self.relay.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_the_running_service_logs_two_lines_for_an_outage_however_busy_it_is(pg_db: str, tmp_path: Path) -> None:
    target = make_url(pg_db)
    relay = RelayThread(target.host or "127.0.0.1", target.port or 5432)
    relay.call(relay.relay.open)
    url = target.set(host="127.0.0.1", port=relay.relay.port).render_as_string(hide_password=False)
    port = _free_port()
    env = _env(database_url=url, admin_token=ADMIN_TOKEN, log_level="INFO", outbox_poll_seconds="0.05",
               safety_net_seconds="0.1")
    served = _Running(tmp_path, env, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        served.until(lambda line: line.startswith("Karaoke is up"))
        log_before = len(served.log.read_text().splitlines())
        relay.call(relay.relay.close)
        answers: list[httpx.Response] = []
        with httpx.Client(base_url=base, timeout=15) as http:
            began = time.monotonic()
            while time.monotonic() - began < 2.0:  # two seconds of outage, the API asked all the while
                answers.append(http.get("/api/v1/shows"))
                answers.append(http.post("/api/v1/shows", json={"name": "Night"}, headers=ADMIN))
            relay.call(relay.relay.open)
            for _ in range(100):
                if http.get("/api/v1/shows").status_code == 200:
                    break
                time.sleep(0.1)
            assert http.get("/api/v1/readyz").status_code == 200
            time.sleep(1.5)  # the probe's second line
    finally:
        log = served.stop()
        relay.stop()
    assert len(answers) > 20 and {a.status_code for a in answers} == {503}
    assert all(a.json()["error"]["code"] == "unavailable" and a.headers["retry-after"] for a in answers)
    during = [line for line in log.splitlines()[log_before:] if " WARNING " in line or " ERROR " in line]
    said = [line.split(": ", 1)[1].split(" (")[0].split(",")[0] for line in during]
    assert said == ["the database is unreachable", "the database answers again"], "\n".join(during)
    assert "Traceback" not in "\n".join(log.splitlines()[log_before:])
