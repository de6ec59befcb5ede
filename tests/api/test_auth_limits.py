"""Guessing the admin token is limited per client: a few wrong tokens, then 429 with Retry-After, unchecked."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from api.app import create_app
from core.access import FailedAttempts
from karaoke.bootstrap import Container
from tests.api.test_songs_contract import assert_envelope
from tests.api.test_stream import serving
from tests.conftest import ADMIN_TOKEN
from tests.unit.access.fakes import FakeMonotonic

SHOWS = "/api/v1/shows"
WRONG = {"Authorization": "Bearer wrong-token-guess-0001"}
RIGHT = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LIMIT, WINDOW = 10, 60.0

Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def seconds(container: Container) -> FakeMonotonic:
    """The limiter's clock, moved by the test."""
    clock = FakeMonotonic()
    container.access = dataclasses.replace(
        container.access, guard=FailedAttempts(clock, limit=LIMIT, window_seconds=WINDOW))
    return clock


@pytest.fixture
def client_at(container: Container, seconds: FakeMonotonic) -> Client:
    """An HTTP client of the app connecting from the address given."""

    @asynccontextmanager
    async def connect(address: str = "203.0.113.7") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=create_app(container), client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http

    return connect


async def test_thirty_wrong_bearer_tokens_get_429_and_the_right_one_works_once_the_window_passed(
    client_at: Client, seconds: FakeMonotonic
) -> None:
    async with client_at() as http:
        answers = [await http.post(SHOWS, json={"name": "Guess"}, headers=WRONG) for _ in range(30)]
        assert [a.status_code for a in answers] == [401] * LIMIT + [429] * (30 - LIMIT)
        for answer in answers[LIMIT:]:
            assert_envelope(answer, 429, "too-many-attempts")
            assert 1 <= int(answer.headers["Retry-After"]) <= WINDOW
        # Held off, nothing is checked: not even the right token gets in, and no show was opened.
        assert_envelope(await http.post(SHOWS, json={"name": "Mine"}, headers=RIGHT), 429, "too-many-attempts")
        assert_envelope(await http.get(f"{SHOWS}/00000000-0000-0000-0000-000000000001/log"), 429,
                        "too-many-attempts")
        seconds.advance(WINDOW - 1)
        held = await http.post(SHOWS, json={"name": "Mine"}, headers=RIGHT)
        assert held.status_code == 429 and held.headers["Retry-After"] == "1"
        seconds.advance(1)
        opened = await http.post(SHOWS, json={"name": "Mine"}, headers=RIGHT)
        assert opened.status_code == 201, opened.text
        assert (await http.get(SHOWS)).json()["total"] == 1


async def test_the_right_token_is_never_counted_or_slowed(client_at: Client) -> None:
    async with client_at() as http:
        for _ in range(LIMIT - 1):
            assert (await http.post(SHOWS, json={"name": "x"}, headers=WRONG)).status_code == 401
        for n in range(50):
            answer = await http.post(SHOWS, json={"name": f"Night {n}"}, headers=RIGHT)
            assert answer.status_code == 201, answer.text
        assert (await http.post(SHOWS, json={"name": "x"}, headers=WRONG)).status_code == 401
        assert (await http.post(SHOWS, json={"name": "x"}, headers=WRONG)).status_code == 429


async def test_one_guessing_client_does_not_lock_out_another(client_at: Client) -> None:
    async with client_at("203.0.113.7") as attacker, client_at("198.51.100.2") as kj:
        for _ in range(LIMIT):
            await attacker.post(SHOWS, json={"name": "x"}, headers=WRONG)
        assert (await attacker.post(SHOWS, json={"name": "x"}, headers=RIGHT)).status_code == 429
        assert (await kj.post(SHOWS, json={"name": "KJ night"}, headers=RIGHT)).status_code == 201


@pytest.mark.parametrize("trusted", [False, True])
async def test_proxy_headers_name_the_client_only_when_the_proxy_is_trusted(
    container: Container, client_at: Client, trusted: bool
) -> None:
    container.access = dataclasses.replace(container.access, trust_proxy_headers=trusted)
    # Everyone arrives from the proxy's address; the proxy says who they are.
    async with client_at("172.16.0.1") as proxy:
        for n in range(LIMIT):
            spoofed = {"Fly-Client-IP": f"192.0.2.{n}", "X-Forwarded-For": f"192.0.2.{n}"}
            await proxy.post(SHOWS, json={"name": "x"}, headers=WRONG | spoofed)
        attacker = {"Fly-Client-IP": "192.0.2.99"}
        kj = {"Fly-Client-IP": "198.51.100.2"}
        for _ in range(LIMIT):
            await proxy.post(SHOWS, json={"name": "x"}, headers=WRONG | attacker)
        assert (await proxy.post(SHOWS, json={"name": "x"}, headers=RIGHT | attacker)).status_code == 429
        # Trusted: each client counts alone, so the KJ gets in. Untrusted: the headers change nothing
        # (a guesser cannot escape the limit by writing them), and all behind the proxy share one count.
        expected = 201 if trusted else 429
        assert (await proxy.post(SHOWS, json={"name": "KJ"}, headers=RIGHT | kj)).status_code == expected
        # Without Fly's header, the address the proxy appended last to X-Forwarded-For, not the client's own.
        forwarded = {"X-Forwarded-For": "192.0.2.99, 198.51.100.3"}
        assert (await proxy.post(SHOWS, json={"name": "KJ"}, headers=RIGHT | forwarded)).status_code == expected


async def test_wrong_dashboard_logins_get_429_and_the_form_says_to_wait(
    client_at: Client, seconds: FakeMonotonic, admin: dict[str, str]
) -> None:
    async with client_at("198.51.100.2") as kj:
        code = (await kj.post(SHOWS, json={"name": "Friday"}, headers=admin)).json()["code"]
    async with client_at() as http:
        answers = [await http.post(f"/kj/{code}/login", data={"token": f"guess-{n}"}) for n in range(30)]
        assert [a.status_code for a in answers] == [401] * LIMIT + [429] * (30 - LIMIT)
        assert 1 <= int(answers[-1].headers["Retry-After"]) <= WINDOW
        assert "Too many wrong tokens" in answers[-1].text and "set-cookie" not in answers[-1].headers
        # The right token is not even looked at while the client waits.
        assert (await http.post(f"/kj/{code}/login", data={"token": ADMIN_TOKEN})).status_code == 429
        # Wrong logins and wrong bearer tokens are one count: the API is closed to this client too.
        assert (await http.post(SHOWS, json={"name": "x"}, headers=admin)).status_code == 429
        seconds.advance(WINDOW)
        answer = await http.post(f"/kj/{code}/login", data={"token": ADMIN_TOKEN})
        assert answer.status_code == 303 and "karaoke_admin=" in answer.headers["set-cookie"]


async def test_over_real_http_a_guesser_gets_ten_tries_a_minute_not_hundreds_a_second(container: Container) -> None:
    # The outside pass: 1,628 wrong bearer tokens and 300 wrong logins in seconds, never a 429. Here with
    # the real clock, uvicorn on loopback, and the default limit.
    code = (await container.rotation.open_show("open:loopback", "Friday")).code
    statuses: list[int] = []
    async with serving(create_app(container)) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            statuses.append((await http.post(SHOWS, json={"name": "x"}, headers=WRONG)).status_code)
            statuses.append((await http.post(f"/kj/{code}/login", data={"token": "guess"})).status_code)
        last = await http.post(SHOWS, json={"name": "x"}, headers=RIGHT)
    assert len(statuses) >= 40  # dozens of guesses went in (a loaded CI machine makes fewer)
    assert statuses.count(401) == container.settings.auth_failure_limit == 10
    assert set(statuses[10:]) == {429}
    assert last.status_code == 429 and 55 <= int(last.headers["Retry-After"]) <= 60


@pytest.mark.parametrize(("first", "second", "shared"), [
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),  # one subscriber's /64: one count
    ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
    ("::ffff:203.0.113.7", "203.0.113.7", True),  # an IPv4 client seen through an IPv6 socket
    ("203.0.113.7", "203.0.113.8", False),
])
async def test_an_ipv6_client_cannot_change_address_within_its_block_to_guess_again(
    client_at: Client, first: str, second: str, shared: bool
) -> None:
    async with client_at(first) as one, client_at(second) as other:
        for _ in range(LIMIT):
            await one.post(SHOWS, json={"name": "x"}, headers=WRONG)
        expected = 429 if shared else 201
        assert (await other.post(SHOWS, json={"name": "KJ"}, headers=RIGHT)).status_code == expected
