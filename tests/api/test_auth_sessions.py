"""The KJ dashboard's server-side session: the cookie is a random id, logout ends it for good, it expires."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest

from api.app import create_app
from karaoke.bootstrap import Container, build
from storage.sessions import SqlAdminSessions
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.unit.fakes import FakeClock

CSRF = {"X-Karaoke-CSRF": "1"}


@pytest.fixture
async def night(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    show: dict[str, Any] = (await client.post("/api/v1/shows", json={"name": "Friday"}, headers=admin)).json()
    return show


async def _log_in(http: httpx.AsyncClient, code: str) -> str:
    answer = await http.post(f"/kj/{code}/login", data={"token": ADMIN_TOKEN})
    assert answer.status_code == 303, answer.text
    return answer.headers["set-cookie"].split(";")[0].removeprefix("karaoke_admin=")


def _with_cookie(container: Container, session: str, base: str = "http://test") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url=base, cookies={"karaoke_admin": session})


async def test_a_copied_cookie_no_longer_works_once_its_kj_logged_out(
    container: Container, client: httpx.AsyncClient, night: dict[str, Any]
) -> None:
    session = await _log_in(client, night["code"])
    assert session != ADMIN_TOKEN and len(session) >= 32
    advance = f"/api/v1/shows/{night['show_id']}/advance"
    async with _with_cookie(container, session) as thief:  # a copy of the cookie, in another browser
        assert (await thief.get(f"/kj/{night['code']}/singers")).status_code == 200
        assert "Advance" in (await thief.get(f"/kj/{night['code']}")).text
        logged_out = await client.post(f"/kj/{night['code']}/logout")
        assert logged_out.status_code == 303 and "Max-Age=0" in logged_out.headers["set-cookie"]
        # The server ended the session: replaying the old cookie opens nothing.
        assert (await thief.get(f"/kj/{night['code']}/singers")).status_code == 401
        assert (await thief.post(advance, headers=CSRF)).status_code == 401
        assert 'name="token"' in (await thief.get(f"/kj/{night['code']}")).text


async def test_the_admin_token_as_a_cookie_is_no_session(container: Container, night: dict[str, Any]) -> None:
    async with _with_cookie(container, ADMIN_TOKEN) as http:
        assert (await http.get(f"/kj/{night['code']}/singers")).status_code == 401
        assert 'name="token"' in (await http.get(f"/kj/{night['code']}")).text


async def test_a_session_started_on_one_instance_works_on_another_until_it_ends_there(
    container: Container, client: httpx.AsyncClient, night: dict[str, Any]
) -> None:
    session = await _log_in(client, night["code"])
    async with build(container.settings, upgrade=False) as other:  # another machine on the same database
        async with _with_cookie(other, session) as elsewhere:
            assert (await elsewhere.get(f"/kj/{night['code']}/singers")).status_code == 200
            assert (await elsewhere.post(f"/kj/{night['code']}/logout")).status_code == 303
        async with _with_cookie(container, session) as here:
            assert (await here.get(f"/kj/{night['code']}/singers")).status_code == 401


async def test_a_session_expires_and_its_cookie_says_how_long_it_lasts(
    container: Container, client: httpx.AsyncClient, night: dict[str, Any]
) -> None:
    clock = FakeClock()
    sessions = SqlAdminSessions(container.engine, clock, lambda: secrets.token_urlsafe(32), timedelta(hours=12))
    container.access = dataclasses.replace(container.access, sessions=sessions)
    answer = await client.post(f"/kj/{night['code']}/login", data={"token": ADMIN_TOKEN})
    assert "Max-Age=43200" in answer.headers["set-cookie"]
    session = answer.headers["set-cookie"].split(";")[0].removeprefix("karaoke_admin=")
    async with _with_cookie(container, session) as http:
        clock.advance(12 * 3600 - 1)
        assert (await http.get(f"/kj/{night['code']}/singers")).status_code == 200
        clock.advance(1)
        assert (await http.get(f"/kj/{night['code']}/singers")).status_code == 401


@pytest.mark.parametrize(("public_url", "secure"), [(None, False), ("https://karaoke.example", True)])
async def test_the_cookie_is_secure_when_the_public_address_is_https(
    db_url: str, public_url: str | None, secure: bool
) -> None:
    async with build(settings_for(db_url, public_url=public_url), upgrade=False) as wired:
        transport = httpx.ASGITransport(app=create_app(wired))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            show = (await http.post("/api/v1/shows", json={"name": "Friday"},
                                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})).json()
            cookie = (await http.post(f"/kj/{show['code']}/login", data={"token": ADMIN_TOKEN})).headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert ("Secure" in cookie) is secure


