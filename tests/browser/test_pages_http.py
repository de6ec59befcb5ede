"""The pages over plain HTTP (no browser): lookup by code, escaping, the login cookie and the CSRF rule."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from api.app import create_app
from karaoke.bootstrap import Container, build
from tests.browser.support import segno_modules, svg_modules
from tests.conftest import ADMIN_TOKEN, settings_for

HOSTILE = "<script>alert(1)</script>"
CSRF = {"X-Karaoke-CSRF": "1"}


@pytest.fixture
async def night(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    show = (await client.post("/api/v1/shows", json={"name": f"Night {HOSTILE}"}, headers=admin)).json()
    song = (await client.post("/api/v1/songs", json={"title": HOSTILE, "artist": "A & B"}, headers=admin)).json()
    body = {"singer": {"name": f"<b>{HOSTILE}</b>"}, "song_id": song["song_id"]}
    assert (await client.post(f"/api/v1/shows/{show['show_id']}/requests", json=body, headers=admin)).status_code == 201
    return dict(show)


@pytest.mark.parametrize("page", ["display", "kj", "songbook"])
async def test_a_page_is_found_by_its_code_in_any_case(
    client: httpx.AsyncClient, night: dict[str, Any], page: str
) -> None:
    for code in (night["code"], night["code"].lower()):
        answer = await client.get(f"/{page}/{code}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/html")
        assert night["code"] in answer.text


@pytest.mark.parametrize("code", ["NOPE9", "<script>", "a" * 500, "%00", "x y"])
@pytest.mark.parametrize("page", ["display", "kj", "songbook"])
async def test_an_unknown_code_is_a_friendly_404_page(client: httpx.AsyncClient, page: str, code: str) -> None:
    answer = await client.get(f"/{page}/{code}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "No show here" in answer.text and "<script>" not in answer.text


async def test_user_text_is_escaped_in_the_served_html(client: httpx.AsyncClient, night: dict[str, Any]) -> None:
    html = (await client.get(f"/display/{night['code']}")).text
    assert HOSTILE not in html and "<b><script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A &amp; B" in html
    # The boot data for the script is JSON that no string inside can close.
    assert "</script>alert" not in html and "\\u003cscript\\u003e" in html


def _qr_codes(html: str) -> list[list[list[bool]]]:
    return [svg_modules(part[:part.index("</svg>") + 6]) for part in ("<svg" + p for p in html.split("<svg")[1:])]


async def test_the_screen_always_has_the_web_join_qr_code_and_the_bots_with_telegram(
    container: Container, night: dict[str, Any]
) -> None:
    app = create_app(container)
    web = f"http://test/join/{night['code']}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        alone = _qr_codes((await http.get(f"/display/{night['code']}")).text)
        app.state.telegram_username = "@KaraBot"
        html = (await http.get(f"/display/{night['code']}")).text
    assert len(alone) == 1 and any(alone[0] == segno_modules(web, level) for level in "LMQH")
    telegram, web_too = _qr_codes(html)
    assert any(telegram == segno_modules(f"https://t.me/KaraBot?start={night['code']}", level) for level in "LMQH")
    assert any(web_too == segno_modules(web, level) for level in "LMQH")
    assert "Telegram: @KaraBot" in html


async def test_a_wrong_token_shows_the_form_again_without_a_cookie(
    client: httpx.AsyncClient, night: dict[str, Any]
) -> None:
    answer = await client.post(f"/kj/{night['code']}/login", data={"token": "nope"})
    assert answer.status_code == 401
    assert "not right" in answer.text and 'name="token"' in answer.text
    assert "set-cookie" not in answer.headers
    empty = await client.post(f"/kj/{night['code']}/login", content=b"\xff\xfe", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert empty.status_code == 401


@pytest.mark.parametrize(("base", "secure"), [("http://test", False), ("https://test", True)])
async def test_the_right_token_sets_a_strict_http_only_cookie(
    container: Container, night: dict[str, Any], base: str, secure: bool
) -> None:
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url=base) as http:
        answer = await http.post(f"/kj/{night['code'].lower()}/login", data={"token": ADMIN_TOKEN})
        assert answer.status_code == 303 and answer.headers["location"] == f"/kj/{night['code']}"
        cookie = answer.headers["set-cookie"]
        # The cookie holds a random session id, never the admin token.
        session = cookie.split(";")[0].removeprefix("karaoke_admin=")
        assert len(session) >= 32 and ADMIN_TOKEN not in cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert ("Secure" in cookie) is secure


async def test_cookie_writes_need_the_csrf_header_and_the_bearer_token_still_works(
    client: httpx.AsyncClient, night: dict[str, Any], admin: dict[str, str]
) -> None:
    advance = f"/api/v1/shows/{night['show_id']}/advance"
    client.cookies.set("karaoke_admin", ADMIN_TOKEN)  # the token itself is no session
    assert (await client.post(advance, headers=CSRF)).status_code == 401
    client.cookies.clear()
    assert (await client.post(f"/kj/{night['code']}/login", data={"token": ADMIN_TOKEN})).status_code == 303
    session = client.cookies["karaoke_admin"]
    client.cookies.clear()
    client.cookies.set("karaoke_admin", session)
    forged = await client.post(advance)
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "forbidden"
    assert (await client.post(advance, headers=CSRF)).status_code == 200
    assert (await client.get(f"/kj/{night['code']}/singers")).json()["items"][0]["paused"] is False
    assert "Advance" in (await client.get(f"/kj/{night['code']}")).text

    client.cookies.clear()
    client.cookies.set("karaoke_admin", "guess")
    assert (await client.post(advance, headers=CSRF)).status_code == 401
    assert (await client.get(f"/kj/{night['code']}/singers")).status_code == 401
    assert 'name="token"' in (await client.get(f"/kj/{night['code']}")).text

    client.cookies.clear()
    assert (await client.post(advance, headers=admin)).status_code in (200, 409)
    wrong_bearer = {"Authorization": "Bearer nope"}
    client.cookies.clear()
    client.cookies.set("karaoke_admin", session)
    assert (await client.post(advance, headers=wrong_bearer | CSRF)).status_code == 401


async def test_logging_out_forgets_the_cookie(client: httpx.AsyncClient, night: dict[str, Any]) -> None:
    answer = await client.post(f"/kj/{night['code']}/logout")
    assert answer.status_code == 303
    assert 'karaoke_admin=""' in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]


async def test_the_front_door_lists_the_open_shows_with_links_to_their_pages(
    client: httpx.AsyncClient, night: dict[str, Any], admin: dict[str, str]
) -> None:
    closed = (await client.post("/api/v1/shows", json={"name": "Last Week"}, headers=admin)).json()
    assert (await client.post(f"/api/v1/shows/{closed['show_id']}/close", headers=admin)).status_code == 200
    answer = await client.get("/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    html = answer.text
    code = night["code"]
    for link in (f'href="/display/{code}"', f'href="/songbook/{code}"', f'href="/kj/{code}"', 'href="/docs"'):
        assert link in html, link
    assert "Night &lt;script&gt;alert(1)&lt;/script&gt;" in html and HOSTILE not in html
    # Pages are found by the join code; no show's internal id (nor any platform's) is on a public page.
    assert night["show_id"] not in html
    assert "Last Week" not in html and closed["code"] not in html


async def test_the_front_door_says_how_to_open_a_show_when_none_is_open(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert "No show is open" in html and "/open" in html and 'href="/docs"' in html


async def test_the_api_docs_load_nothing_from_another_host(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        answer = await client.get(page)
        html = answer.text
        assert "http://" not in html and "https://" not in html, page
        # And what the scripts might fetch by themselves (ReDoc's menu logo) the browser is told not to.
        assert answer.headers["content-security-policy"].startswith("default-src 'self' "), page
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), (page, assets)
        for asset in assets:
            answer = await client.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 1000, (page, asset)
    schema = await client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/v1/shows" in schema.json()["paths"]


async def test_the_front_door_lists_fifty_shows_and_counts_the_rest(db_url: str, admin: dict[str, str]) -> None:
    # A service allowed more open shows than the front page lists.
    async with build(settings_for(db_url, max_open_shows=60), upgrade=False) as container:
        transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for n in range(52):
                answer = await client.post("/api/v1/shows", json={"name": f"Room {n}"}, headers=admin)
                assert answer.status_code == 201
            html = (await client.get("/")).text
    assert html.count('class="show"') == 50 and "Room 51" in html and "Room 1<" not in html
    assert "2 more open shows are not listed here." in html
