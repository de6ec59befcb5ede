"""The join page's regulars, its link box and its guard against coming back under a new cookie, through the real
app on both databases: earlier songs and favourites (marked and unmarked), a ``/link`` code from the bot that
makes the browser and a chat account one person, and new browsers from a blocked singer's address held back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.routes.join import WEB_COOKIE
from core.access import FailedAttempts, WebLimits
from core.chat.web import WebSingers
from core.rotation import CloseShow
from karaoke.bootstrap import Container
from storage.web_joins import SqlWebJoins
from tests.api.test_songs_contract import assert_envelope
from tests.conftest import ADMIN_TOKEN
from tests.privacy_scan import tables_containing
from tests.unit.access.fakes import FakeMonotonic

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
WIFI = "198.51.100.20"


@pytest.fixture
def phone(container: Container) -> Client:
    """A browser (its own cookie jar) on the app, from the address given; the web limits wide."""
    clock = FakeMonotonic()
    container.web_limits = WebLimits(per_session=FailedAttempts(clock, limit=1000, window_seconds=60),
                                     per_address=FailedAttempts(clock, limit=1000, window_seconds=60))

    @asynccontextmanager
    async def connect(address: str = WIFI) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=create_app(container), client=(address, 40000),
                                        raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http

    return connect


async def _songs(http: httpx.AsyncClient) -> dict[str, str]:
    songs = {}
    for title, artist in (("Africa", "Toto"), ("Zombie", "The Cranberries"), ("Waterloo", "ABBA"),
                          ("Dreams", "Fleetwood Mac")):
        answer = await http.post("/api/v1/songs", json={"title": title, "artist": artist, "duration": 200},
                                 headers=ADMIN)
        songs[title] = answer.json()["song_id"]
    return songs


async def _show(http: httpx.AsyncClient, name: str) -> dict[str, Any]:
    answer = await http.post("/api/v1/shows", json={"name": name}, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    show: dict[str, Any] = answer.json()
    return show


async def _join(http: httpx.AsyncClient, code: str, name: str) -> dict[str, Any]:
    answer = await http.post(f"/api/v1/join/{code}", json={"name": name})
    assert answer.status_code == 201, answer.text
    joined: dict[str, Any] = answer.json()
    return joined


async def test_a_web_singer_links_their_telegram_account_and_sees_its_earlier_songs_and_favourites(
        phone: Client, container: Container) -> None:
    async with phone() as http:
        songs = await _songs(http)
        # Last night Ann sang from Telegram (her account through the admin API is her person, as in chat).
        last = await _show(http, "Thursday")
        ann = {"name": "Ann", "platform": "telegram", "user_id": "555000"}
        for title in ("Africa", "Zombie"):
            answer = await http.post(f"/api/v1/shows/{last['show_id']}/requests", headers=ADMIN,
                                     json={"singer": ann, "song_id": songs[title]})
            assert answer.status_code == 201, answer.text
        for _ in range(3):
            await http.post(f"/api/v1/shows/{last['show_id']}/advance", headers=ADMIN)
        await http.post(f"/api/v1/shows/{last['show_id']}/close", headers=ADMIN)

        show = await _show(http, "Friday")
        code = show["code"]
        await _join(http, code, "Annie")
        again = await http.get(f"/api/v1/join/{code}/again")
        assert again.status_code == 200 and again.json() == {"items": []}
        assert again.headers["cache-control"] == "no-store"

        marked = await http.put(f"/api/v1/join/{code}/favourites/{songs['Waterloo']}")
        assert marked.status_code == 200 and marked.json()["added"] is True
        assert marked.json()["song"]["title"] == "Waterloo"
        assert (await http.put(f"/api/v1/join/{code}/favourites/{songs['Waterloo']}")).json()["added"] is False

        person = await container.people.person("telegram", "555000")
        link_code = await container.people.link_code(person.person_id)
        linked = await http.post(f"/api/v1/join/{code}/link", json={"link_code": f" {link_code[:4]}-{link_code[4:]} "})
        assert linked.status_code == 200, linked.text
        body = linked.json()
        assert sorted(body["accounts"]) == ["telegram", "web"] and "555000" not in linked.text
        assert body["message"].startswith("Linked: you're one singer with your Telegram account now")

        items = (await http.get(f"/api/v1/join/{code}/again")).json()["items"]
        assert [i["song"]["title"] for i in items] == ["Zombie", "Africa"]
        assert all(i["sung_at"].endswith("Z") for i in items)
        # One tap on an earlier song requests it, as the search's button does.
        sing = await http.post(f"/api/v1/join/{code}/requests", json={"song_id": items[1]["song"]["song_id"]})
        assert sing.status_code == 201 and sing.json()["song"]["title"] == "Africa"

        await container.people.store.add_favourite(person.person_id, (await container.rotation.state(
            last["show_id"])).history[0].song, container.clock.now())  # kept with /fav from Telegram
        favourites = (await http.get(f"/api/v1/join/{code}/favourites")).json()["items"]
        assert [f["title"] for f in favourites] == ["Africa", "Waterloo"]
        assert (await http.delete(f"/api/v1/join/{code}/favourites/{songs['Waterloo']}")).status_code == 204
        assert_envelope(await http.delete(f"/api/v1/join/{code}/favourites/{songs['Waterloo']}"), 404, "not-found")
        assert [f["title"] for f in (await http.get(f"/api/v1/join/{code}/favourites")).json()["items"]] == ["Africa"]

        # The code is used: once only.
        assert_envelope(await http.post(f"/api/v1/join/{code}/link", json={"link_code": link_code}), 409,
                        "link-code-used")


async def test_regulars_and_links_refuse_odd_input_and_strangers_never_with_a_500(phone: Client) -> None:
    async with phone() as http:
        songs = await _songs(http)
        show = await _show(http, "Friday")
        code = show["code"]
        async with phone("198.51.100.21") as stranger:
            for method, path, body in (("GET", "again", None), ("GET", "favourites", None),
                                       ("PUT", f"favourites/{songs['Africa']}", None),
                                       ("DELETE", f"favourites/{songs['Africa']}", None),
                                       ("POST", "link", {"link_code": "K7QX3334"})):
                answer = await stranger.request(method, f"/api/v1/join/{code}/{path}", json=body)
                assert_envelope(answer, 401, "not-joined")
        await _join(http, code, "Eve")
        assert_envelope(await http.put(f"/api/v1/join/{code}/favourites/{uuid.uuid4()}"), 404, "not-found")
        assert_envelope(await http.put(f"/api/v1/join/{code}/favourites/not-a-song"), 400, "validation-error")
        bodies: list[object] = [{}, {"link_code": ""}, {"link_code": "A" * 65}, {"link_code": 12345678},
                                {"link_code": "K7QX3334", "extra": 1}, [], "K7QX3334"]
        for odd in bodies:
            answer = await http.post(f"/api/v1/join/{code}/link", json=odd)
            assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation-error", odd
        for typed in ("not a code", "ＫＳＸ７ＱＸ３３", "\u202eK7QX3334", "🎤" * 8):
            assert_envelope(await http.post(f"/api/v1/join/{code}/link", json={"link_code": typed}), 400,
                            "link-code-unknown")
        # Five tries in ten minutes from one browser; the sixth is not even looked at.
        await http.post(f"/api/v1/join/{code}/link", json={"link_code": "K7QX9999"})
        limited = await http.post(f"/api/v1/join/{code}/link", json={"link_code": "K7QX9999"})
        assert_envelope(limited, 429, "too-many-attempts")
        assert limited.headers["retry-after"] == "600"
        cross = await http.put(f"/api/v1/join/{code}/favourites/{songs['Africa']}",
                               headers={"Sec-Fetch-Site": "cross-site"})
        assert_envelope(cross, 403, "forbidden")


async def test_after_a_block_a_cleared_cookie_joins_again_only_once_in_a_while_from_that_address(
        phone: Client, container: Container) -> None:
    # One new browser an hour from the blocked singer's address, so the test never straddles a slot.
    container.web = WebSingers(container.chat.steps, container.web.sessions, lambda: uuid.uuid4().hex,
                               joins=SqlWebJoins(container.engine), rejoin_seconds=3600)
    async with phone() as troll, phone() as neighbour, phone("203.0.113.7") as mobile:
        songs = await _songs(troll)
        show = await _show(troll, "Friday")
        code = show["code"]
        joined = await _join(troll, code, "Troll")
        await troll.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Africa"]})
        await _join(neighbour, code, "Early Bird")  # before the block: nothing held back
        blocked = await troll.post(f"/api/v1/shows/{show['show_id']}/singers/{joined['singer_id']}/block",
                                   headers=ADMIN)
        assert blocked.status_code == 200

        troll.cookies.clear()
        back = await _join(troll, code, "Totally New")  # the first new browser from there gets in
        assert back["singer_id"] != joined["singer_id"]
        troll.cookies.clear()
        refused = await troll.post(f"/api/v1/join/{code}", json={"name": "Another"})
        assert_envelope(refused, 429, "too-many-joins")
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert "Try again in" in refused.json()["error"]["message"]
        # Those already in stay in; another network is not held back.
        assert (await neighbour.post(f"/api/v1/join/{code}", json={"name": "Early Bird"})).status_code == 201
        await _join(mobile, code, "On Mobile Data")

        # Nothing stored says where anyone was: no address in any table.
        assert await tables_containing(container.engine, WIFI, "203.0.113.7") == {}
        assert WEB_COOKIE not in refused.headers.get("set-cookie", "")

        # Unblocked, the address is free again; and a closed show forgets where its singers joined from.
        await troll.post(f"/api/v1/shows/{show['show_id']}/singers/{joined['singer_id']}/unblock", headers=ADMIN)
        troll.cookies.clear()
        await _join(troll, code, "Friend")
        await container.rotation.execute(show["show_id"], CloseShow("close"))
        swept = await container.retention.sweep()
        assert swept.get("web joins", 0) >= 4


async def test_linked_from_the_page_a_web_and_a_telegram_singer_in_one_show_sing_once_a_round(
        phone: Client, container: Container) -> None:
    async with phone() as http:
        songs = await _songs(http)
        show = await _show(http, "Friday")
        code, url = show["code"], f"/api/v1/shows/{show['show_id']}"
        ann = {"name": "Ann", "platform": "telegram", "user_id": "555000"}
        await http.post(f"{url}/requests", headers=ADMIN, json={"singer": ann, "song_id": songs["Africa"]})
        await http.post(f"{url}/requests", headers=ADMIN, json={"singer": {"name": "Bob"}, "song_id": songs["Zombie"]})
        await _join(http, code, "Ann on the web")
        await http.post(f"/api/v1/join/{code}/requests", json={"song_id": songs["Waterloo"]})
        queue = (await http.get(f"{url}/queue")).json()["upcoming"]
        assert [s["singer"]["name"] for s in queue] == ["Ann", "Bob", "Ann on the web"]  # two Anns, twice a round

        person = await container.people.person("telegram", "555000")
        linked = await http.post(f"/api/v1/join/{code}/link",
                                 json={"link_code": await container.people.link_code(person.person_id)})
        assert linked.status_code == 200, linked.text
        queue = (await http.get(f"{url}/queue")).json()["upcoming"]
        assert [(s["singer"]["name"], s["song"]["title"]) for s in queue] == [
            ("Ann", "Africa"), ("Bob", "Zombie"), ("Ann", "Waterloo")]
        assert len({s["singer"]["singer_id"] for s in queue if s["singer"]["name"] == "Ann"}) == 1
        me = (await http.get(f"/api/v1/join/{code}/me")).json()
        assert [(r["song"]["title"], r["position"]) for r in me["requests"]] == [("Africa", 1), ("Waterloo", 3)]
        # One singer, one turn a round: her next song from the page waits behind Bob's next one.
        await http.post(f"{url}/requests", headers=ADMIN, json={"singer": {"name": "Bob"}, "song_id": songs["Dreams"]})
        queue = (await http.get(f"{url}/queue")).json()["upcoming"]
        assert [s["singer"]["name"] for s in queue] == ["Ann", "Bob", "Ann", "Bob"]
