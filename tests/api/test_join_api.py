"""The JSON behind the join page, through the real app on both databases: join with a name, request, see your
place, cancel, On my way; the show's rules as in chat; sessions bound to one show; nasty input never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.routes.join import WEB_COOKIE
from core.access import FailedAttempts, WebLimits
from karaoke.bootstrap import Container
from tests.api.test_songs_contract import assert_envelope
from tests.conftest import ADMIN_TOKEN
from tests.unit.access.fakes import FakeMonotonic

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def seconds(container: Container) -> FakeMonotonic:
    """The web limits' clock; the limits wide unless a test narrows them."""
    clock = FakeMonotonic()
    container.web_limits = WebLimits(per_session=FailedAttempts(clock, limit=1000, window_seconds=60),
                                     per_address=FailedAttempts(clock, limit=1000, window_seconds=60))
    return clock


@pytest.fixture
def phone(container: Container, seconds: FakeMonotonic) -> Client:
    """A browser (its own cookie jar) on the app, from the address given."""

    @asynccontextmanager
    async def connect(address: str = "198.51.100.20") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=create_app(container), client=(address, 40000),
                                        raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http

    return connect


async def _night(http: httpx.AsyncClient, name: str = "Friday", **settings: int) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if settings:
        body["settings"] = settings
    answer = await http.post("/api/v1/shows", json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    show: dict[str, Any] = answer.json()
    show["songs"] = {}
    for title, artist in (("Africa", "Toto"), ("Zombie", "The Cranberries"), ("Linger", "The Cranberries"),
                          ("Dreams", "Fleetwood Mac")):
        song = await http.post("/api/v1/songs", json={"title": title, "artist": artist, "duration": 240},
                               headers=ADMIN)
        show["songs"][title] = song.json()["song_id"]
    return show


async def _join(http: httpx.AsyncClient, code: str, name: str = "Wanda") -> dict[str, Any]:
    answer = await http.post(f"/api/v1/join/{code}", json={"name": name})
    assert answer.status_code == 201, answer.text
    joined: dict[str, Any] = answer.json()
    return joined


async def test_a_web_singer_joins_requests_sees_their_place_and_cancels(phone: Client, container: Container) -> None:
    async with phone() as http:
        show = await _night(http)
        code = show["code"]
        await http.post(f"/api/v1/shows/{show['show_id']}/requests", headers=ADMIN,
                        json={"singer": {"name": "Ana"}, "song_id": show["songs"]["Dreams"]})
        answer = await http.post(f"/api/v1/join/{code.lower()}", json={"name": "  Wanda  "})
        assert answer.status_code == 201
        joined = answer.json()
        assert set(joined) == {"singer_id", "show_id", "name"}
        assert joined["show_id"] == show["show_id"] and joined["name"] == "Wanda"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{WEB_COOKIE}=v1.")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/api/v1/join" in cookie
        assert ADMIN_TOKEN not in cookie

        queued = await http.post(f"/api/v1/join/{code}/requests", json={"song_id": show["songs"]["Africa"]})
        assert queued.status_code == 201, queued.text
        request = queued.json()
        assert request["position"] == 2 and request["eta_seconds"] > 0
        assert request["song"]["title"] == "Africa"

        me = (await http.get(f"/api/v1/join/{code}/me")).json()
        assert me["name"] == "Wanda" and me["singer_id"] == joined["singer_id"] and me["status"] == "open"
        assert [(r["song"]["title"], r["position"]) for r in me["requests"]] == [("Africa", 2)]
        assert me["singing_now"] is None and me["blocked"] is False

        # The public queue names the web singer by name, under the id they were told; never the session.
        queue = (await http.get(f"/api/v1/shows/{show['show_id']}/queue")).text
        assert '"name":"Wanda"' in queue and joined["singer_id"] in queue
        session_id = http.cookies[WEB_COOKIE].split(".")[1]
        assert session_id not in queue

        gone = await http.delete(f"/api/v1/join/{code}/requests/{request['request_id']}")
        assert gone.status_code == 204
        assert (await http.get(f"/api/v1/join/{code}/me")).json()["requests"] == []
        assert_envelope(await http.delete(f"/api/v1/join/{code}/requests/{request['request_id']}"), 409, "conflict")


async def test_the_shows_rules_hold_as_in_chat(phone: Client) -> None:
    async with phone() as http:
        show = await _night(http, max_pending=2)
        code, songs = show["code"], show["songs"]
        await _join(http, code)
        for title in ("Africa", "Zombie"):
            answer = await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs[title]})
            assert answer.status_code == 201, answer.text
        limit = assert_envelope(await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Linger"]}),
                                409, "limit-reached")
        assert "2 songs waiting" in limit["message"]
        async with phone("198.51.100.21") as other:
            await _join(other, code, "Otto")
            assert_envelope(await other.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Africa"]}),
                            409, "duplicate-song")
            assert_envelope(await other.post(f"/api/v1/join/{code}/requests",
                                             json={"song_id": "00000000-0000-4000-8000-000000000000"}),
                            404, "not-found")
        await http.post(f"/api/v1/shows/{show['show_id']}/close", headers=ADMIN)
        assert_envelope(await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Linger"]}),
                        409, "show-closed")
        assert (await http.get(f"/api/v1/join/{code}/me")).json()["status"] == "closed"
        assert_envelope(await http.post(f"/api/v1/join/{code}", json={"name": "Late"}), 404, "not-found")


async def test_a_session_opens_only_its_own_show_and_only_its_own_songs(phone: Client) -> None:
    async with phone() as http, phone("198.51.100.21") as other:
        show = await _night(http)
        second = await _night(http, "Saturday")
        code, songs = show["code"], show["songs"]
        await _join(http, code)
        mine = (await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Africa"]})).json()
        await _join(other, code, "Otto")
        theirs = (await other.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Zombie"]})).json()

        # Someone else's request is not theirs to cancel or answer for, whatever its id.
        for target in (theirs["request_id"], "00000000-0000-4000-8000-000000000000"):
            assert_envelope(await http.delete(f"/api/v1/join/{code}/requests/{target}"), 404, "not-found")
            assert_envelope(await http.post(f"/api/v1/join/{code}/requests/{target}/on-my-way"), 404, "not-found")
        assert_envelope(await http.delete(f"/api/v1/join/{code}/requests/not-a-uuid"), 400, "validation-error")

        # The session is bound to its show: at another show's code it opens nothing.
        assert_envelope(await http.get(f"/api/v1/join/{second['code']}/me"), 401, "not-joined")
        assert_envelope(await http.post(f"/api/v1/join/{second['code']}/requests", json={"song_id": songs["Linger"]}),
                        401, "not-joined")
        # A cookie copied to another show's path, altered, or forged opens nothing either.
        token = http.cookies[WEB_COOKIE]
        for forged in (token[:-3] + "abc", token.replace(show["show_id"], second["show_id"]), "v1.x.y.z",
                       "", "%C3%A9" * 10, "v1." + "A" * 180):
            async with phone("198.51.100.22") as stranger:
                stranger.cookies.set(WEB_COOKIE, forged, path="/api/v1/join")
                assert_envelope(await stranger.get(f"/api/v1/join/{code}/me"), 401, "not-joined")
                assert_envelope(await stranger.delete(f"/api/v1/join/{code}/requests/{mine['request_id']}"), 401,
                                "not-joined")
        # Without any cookie: 401; at a code no show has: 404.
        async with phone("198.51.100.23") as nobody:
            assert_envelope(await nobody.get(f"/api/v1/join/{code}/me"), 401, "not-joined")
            assert_envelope(await nobody.get("/api/v1/join/ZZZZ9/me"), 404, "not-found")
            assert_envelope(await nobody.post("/api/v1/join/ZZZZ9", json={"name": "Wanda"}), 404, "not-found")
        assert len((await http.get(f"/api/v1/join/{code}/me")).json()["requests"]) == 1


async def test_on_my_way_answers_the_call_and_only_the_call(phone: Client) -> None:
    async with phone() as http:
        show = await _night(http)
        code, songs = show["code"], show["songs"]
        await _join(http, code)
        first = (await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Africa"]})).json()
        later = (await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Zombie"]})).json()
        assert_envelope(await http.post(f"/api/v1/join/{code}/requests/{later['request_id']}/on-my-way"),
                        409, "conflict")
        answer = await http.post(f"/api/v1/join/{code}/requests/{first['request_id']}/on-my-way")
        assert answer.status_code == 200 and answer.json() == {"request_id": first["request_id"], "on_my_way": True}
        await http.post(f"/api/v1/shows/{show['show_id']}/advance", headers=ADMIN)
        me = (await http.get(f"/api/v1/join/{code}/me")).json()
        assert me["singing_now"]["request_id"] == first["request_id"]


async def test_the_kj_blocks_a_web_singer_through_the_admin_api(phone: Client) -> None:
    async with phone() as http:
        show = await _night(http)
        code, songs = show["code"], show["songs"]
        joined = await _join(http, code)
        await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Africa"]})
        url = f"/api/v1/shows/{show['show_id']}/singers/{joined['singer_id']}"
        assert_envelope(await http.post(f"{url}/block"), 401, "unauthorized")
        blocked = await http.post(f"{url}/block", headers=ADMIN)
        assert blocked.status_code == 200 and blocked.json()["upcoming"] == []
        assert_envelope(await http.post(f"{url}/block", headers=ADMIN), 409, "conflict")
        assert_envelope(await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Zombie"]}),
                        403, "blocked")
        assert (await http.get(f"/api/v1/join/{code}/me")).json()["blocked"] is True
        log = (await http.get(f"/api/v1/shows/{show['show_id']}/log", headers=ADMIN)).json()
        assert "SingerBlocked" in [item["type"] for item in log["items"]]
        assert (await http.post(f"{url}/unblock", headers=ADMIN)).status_code == 200
        assert (await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Zombie"]})).status_code == 201
        assert_envelope(await http.post(f"/api/v1/shows/{show['show_id']}/singers/"
                                        "00000000-0000-4000-8000-000000000000/block", headers=ADMIN), 404, "not-found")


@pytest.mark.parametrize(("name", "shown"), [
    ("\u200b", "Singer"),  # invisible: nothing to show, so the chat's default name
    ("\u202eadnaW", "adnaW"),  # no right-to-left override reaches the screen
    ("👩\u200d🎤 Zoë", "👩🎤 Zoë"),
    ("Ｗａｎｄａ", "Ｗａｎｄａ"),
    ("Wanda\tB", "Wanda B"),
    ("a" * 40, "a" * 40),
    ("Robert'); DROP TABLE shows;--", "Robert'); DROP TABLE shows;--"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
])
async def test_odd_names_are_cleaned_and_shown_as_names(phone: Client, name: str, shown: str) -> None:
    async with phone() as http:
        show = await _night(http)
        assert (await _join(http, show["code"], name))["name"] == shown
        assert (await http.get(f"/api/v1/join/{show['code']}/me")).json()["name"] == shown


@pytest.mark.parametrize("body", [
    {"name": ""}, {"name": "   "}, {"name": "a" * 41}, {"name": "a\x00b"}, {"name": "a\x07b"}, {"name": 7},
    {"name": None}, {"name": ["Wanda"]}, {}, {"name": "Wanda", "admin": True}, {"name": "x" * 100_000},
])
async def test_a_bad_name_is_a_400_envelope(phone: Client, body: dict[str, Any]) -> None:
    async with phone() as http:
        show = await _night(http)
        error = assert_envelope(await http.post(f"/api/v1/join/{show['code']}", json=body), 400, "validation-error")
        assert error["details"]["fieldErrors"]
        assert WEB_COOKIE not in http.cookies


async def test_nasty_requests_are_refused_with_the_envelope_never_a_500(phone: Client) -> None:
    async with phone() as http:
        show = await _night(http)
        code = show["code"]
        await _join(http, code)
        base = f"/api/v1/join/{code}"
        attempts: list[tuple[str, str, dict[str, Any]]] = [
            ("POST", base, {"content": b"not json", "headers": {"Content-Type": "application/json"}}),
            ("POST", base, {"content": b"\xff\xfe\x00", "headers": {"Content-Type": "application/json"}}),
            ("POST", base, {"json": [1, 2, 3]}),
            ("POST", f"{base}/requests", {"json": {"song_id": "not-a-uuid"}}),
            ("POST", f"{base}/requests", {"json": {"song_id": 12}}),
            ("POST", f"{base}/requests", {"json": {}}),
            ("POST", f"{base}/requests", {"json": {"song_id": show["songs"]["Africa"], "singer": "x"}}),
            ("POST", "/api/v1/join/%00%00/requests", {"json": {"song_id": show["songs"]["Africa"]}}),
            ("GET", "/api/v1/join/" + "A" * 500 + "/me", {}),
            ("GET", "/api/v1/join/K7%20QX/me", {}),
            ("GET", "/api/v1/join/日本語/me", {}),
            ("DELETE", f"{base}/requests/{'9' * 300}", {}),
            ("POST", f"{base}/requests/00000000-0000-4000-8000-000000000000/on-my-way", {}),
        ]
        for method, path, extra in attempts:
            answer = await http.request(method, path, **extra)
            assert 400 <= answer.status_code < 500, (method, path, answer.status_code, answer.text)
            assert set(answer.json()) == {"error"}


async def test_writes_from_another_site_are_refused(phone: Client) -> None:
    async with phone() as http:
        show = await _night(http)
        await _join(http, show["code"])
        answer = await http.post(f"/api/v1/join/{show['code']}/requests", json={"song_id": show["songs"]["Africa"]},
                                 headers={"Sec-Fetch-Site": "cross-site"})
        assert_envelope(answer, 403, "forbidden")
        assert (await http.get(f"/api/v1/join/{show['code']}/me")).json()["requests"] == []


async def test_writes_are_limited_per_session_and_per_address(
    phone: Client, container: Container, seconds: FakeMonotonic
) -> None:
    container.web_limits = WebLimits(per_session=FailedAttempts(seconds, limit=3, window_seconds=60),
                                     per_address=FailedAttempts(seconds, limit=4, window_seconds=60))
    async with phone() as http, phone() as neighbour, phone("203.0.113.99") as elsewhere:
        show = await _night(http, max_pending=5)
        code, songs = show["code"], show["songs"]
        await _join(http, code)  # counted for the address only: the browser has no session yet
        for title in ("Africa", "Zombie", "Linger"):
            answer = await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs[title]})
            assert answer.status_code == 201, answer.text
        held = await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Dreams"]})
        assert_envelope(held, 429, "too-many-requests")
        assert 1 <= int(held.headers["Retry-After"]) <= 60
        # The same address (a venue's Wi-Fi) has used its four writes too; another address has not.
        assert_envelope(await neighbour.post(f"/api/v1/join/{code}", json={"name": "Nina"}), 429,
                        "too-many-requests")
        assert (await elsewhere.post(f"/api/v1/join/{code}", json={"name": "Eli"})).status_code == 201
        # Reads are not limited.
        assert (await http.get(f"/api/v1/join/{code}/me")).status_code == 200
        seconds.advance(61)
        assert (await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Dreams"]})).status_code == 201
