"""Nothing private in public: every GET anyone may make names singers, never their platform user ids."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from api.app import create_app
from api.deps import StreamTiming
from api.pages import router as pages_router
from karaoke.bootstrap import Container

SHOWS = "/api/v1/shows"
# Platform user ids of the night's chat singers, as Telegram and Slack spell them.
PRIVATE = {"telegram": "555123456", "slack": "U024BE7LH"}


async def _night_with_chat_singers(http: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    show = (await http.post(SHOWS, json={"name": "Friday"}, headers=admin)).json()
    ids = {"show_id": show["show_id"], "code": show["code"]}
    for n, (platform, user_id) in enumerate(PRIVATE.items()):
        song = (await http.post("/api/v1/songs", json={"title": f"Song {n}", "artist": "Band", "duration": 200},
                                headers=admin)).json()
        body = {"singer": {"name": f"Singer on {platform}", "platform": platform, "user_id": user_id},
                "song_id": song["song_id"]}
        answer = await http.post(f"{SHOWS}/{show['show_id']}/requests", json=body, headers=admin)
        assert answer.status_code == 201, answer.text
        ids["song_id"] = song["song_id"]
    # One sung, one at the mic: the history and the queue both have a chat singer in them.
    for _ in range(2):
        assert (await http.post(f"{SHOWS}/{show['show_id']}/advance", headers=admin)).status_code == 200
    return ids


def _public_gets(container: Container) -> list[str]:
    """Every GET path of the OpenAPI schema, and every page (they are left out of the schema)."""
    schema = create_app(container).openapi()
    paths = [path for path, operations in schema["paths"].items() if "get" in operations]
    pages = [route for route in pages_router.routes if isinstance(route, APIRoute)]
    paths += [route.path for route in pages if "GET" in (route.methods or ())]
    assert "/api/v1/shows/{show_id}/log" in paths and "/display/{code}" in paths  # schema routes and pages
    return paths


async def test_no_public_read_carries_a_platform_user_id(
    container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    ids = await _night_with_chat_singers(client, admin)
    # The raw log does hold them: that is why it is the KJ's alone.
    log = await client.get(f"{SHOWS}/{ids['show_id']}/log", headers=admin)
    assert all(user_id in log.text for user_id in PRIVATE.values())

    app = create_app(container)
    app.state.stream_timing = StreamTiming(keep_alive_seconds=1, max_seconds=0.2)
    checked: dict[str, int] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as anyone:
        for path in _public_gets(container):
            url = path.format(**{name: ids[name] for name in ("show_id", "song_id", "code") if f"{{{name}}}" in path})
            assert "{" not in url, f"no value for a parameter of {path}"
            answer = await anyone.get(url, params={"q": "Song"} if path.endswith("/search") else None)
            checked[url] = answer.status_code
            for platform, user_id in PRIVATE.items():
                assert user_id not in answer.text, f"GET {url} ({answer.status_code}) shows the {platform} id"
    assert checked[f"{SHOWS}/{ids['show_id']}/log"] == 401
    assert checked[f"{SHOWS}/{ids['show_id']}/notices"] == 401
    public = [url for url, status in checked.items() if status == 200]
    for url in (f"{SHOWS}/{ids['show_id']}/queue", f"{SHOWS}/{ids['show_id']}/history", SHOWS,
                f"{SHOWS}/{ids['show_id']}/stream", f"/display/{ids['code']}", f"/kj/{ids['code']}"):
        assert url in public
    history = (await client.get(f"{SHOWS}/{ids['show_id']}/history")).json()["items"]
    assert [item["singer"]["name"] for item in history] == ["Singer on telegram"]


@pytest.mark.parametrize("status", [None, "open"])
async def test_the_public_list_of_shows_carries_names_codes_and_settings_only(
    client: httpx.AsyncClient, admin: dict[str, str], status: str | None
) -> None:
    await _night_with_chat_singers(client, admin)
    listed: dict[str, Any] = (await client.get(SHOWS, params={"status": status} if status else None)).json()
    [show] = listed["items"]
    assert set(show) == {"show_id", "code", "name", "status", "settings", "created_at", "version"}
