"""Catalog search through the API: typos, confidence, bad queries, and an index that follows the catalog."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core.catalog import SongDraft
from karaoke.bootstrap import Container, background, build
from tests.api.test_songs_contract import assert_envelope
from tests.conftest import settings_for

SEARCH = "/api/v1/songs/search"
CATALOG = [
    ("Bohemian Rhapsody", "Queen", 355),
    ("Another One Bites the Dust", "Queen", 215),
    ("Sweet Caroline", "Neil Diamond", 201),
    ("Tennessee Whiskey", "Chris Stapleton", 293),
    ("Don't Stop Believin'", "Journey", 250),
    ("Libérée, délivrée", "Frozen", 210),
    ("Кукушка", "Кино", 402),
    ("夜に駆ける", "YOASOBI", 261),
]


@pytest.fixture
async def catalog(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    ids = {}
    for title, artist, duration in CATALOG:
        response = await client.post("/api/v1/songs", json={"title": title, "artist": artist, "duration": duration},
                                      headers=admin)
        ids[title] = response.json()["song_id"]
    return ids


async def top(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get(SEARCH, params={"q": q, **params})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


@pytest.mark.parametrize(
    ("query", "title"),
    [("bohemian rapsody", "Bohemian Rhapsody"), ("queen bohemian", "Bohemian Rhapsody"),
     ("liberee delivree", "Libérée, délivrée"), ("dont stop believin journey", "Don't Stop Believin'"),
     ("sweet caroline by neil diamond", "Sweet Caroline"), ("stapleton whiskey", "Tennessee Whiskey"),
     ("кукушка", "Кукушка"), ("夜に駆ける", "夜に駆ける")],
)
async def test_what_a_singer_types_finds_the_song_first(
    client: httpx.AsyncClient, catalog: dict[str, str], query: str, title: str
) -> None:
    body = await top(client, query)
    first = body["items"][0]
    assert first["title"] == title and first["song_id"] == catalog[title]
    assert 0 <= first["score"] <= 100 and first["duration"] is not None


async def test_a_clear_hit_is_confident_and_an_artist_lists_their_songs(
    client: httpx.AsyncClient, catalog: dict[str, str]
) -> None:
    assert (await top(client, "sweet caroline neil diamond"))["confident"] is True
    by_artist = await top(client, "queen")
    assert {i["title"] for i in by_artist["items"][:2]} == {"Bohemian Rhapsody", "Another One Bites the Dust"}
    assert by_artist["confident"] is False
    assert len((await top(client, "queen", limit=1))["items"]) == 1


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": "   "}, {"q": "x" * 201}, {}, {"q": "a", "limit": 0}, {"q": "a", "limit": 51}],
    ids=["empty", "spaces", "too-long", "missing", "limit-0", "limit-51"],
)
async def test_bad_queries_are_400(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    assert_envelope(await client.get(SEARCH, params=params), 400, "validation-error")


@pytest.mark.parametrize("query", ["!!!", "🎤🎶", "'; DROP TABLE songs; --", "Queen \u202e\u200b", "x" * 200])
async def test_odd_queries_get_a_sensible_answer(
    client: httpx.AsyncClient, catalog: dict[str, str], query: str
) -> None:
    body = await top(client, query)
    assert isinstance(body["items"], list)
    assert (await client.get("/api/v1/songs", params={"limit": 1})).json()["total"] == len(CATALOG)


async def test_adds_edits_and_deletes_show_up_in_search_at_once(
    client: httpx.AsyncClient, admin: dict[str, str], catalog: dict[str, str]
) -> None:
    created = await client.post("/api/v1/songs", json={"title": "Dancing Queen", "artist": "ABBA"}, headers=admin)
    song_id = created.json()["song_id"]
    assert (await top(client, "dancing queen abba"))["items"][0]["song_id"] == song_id
    await client.patch(f"/api/v1/songs/{song_id}", json={"title": "Waterloo"}, headers=admin)
    assert (await top(client, "waterloo abba"))["items"][0]["song_id"] == song_id
    assert all(i["song_id"] != song_id for i in (await top(client, "dancing queen"))["items"])
    await client.delete(f"/api/v1/songs/{song_id}", headers=admin)
    assert all(i["song_id"] != song_id for i in (await top(client, "waterloo abba"))["items"])


async def test_another_instance_sees_catalog_changes_within_seconds(
    db_url: str, container: Container, admin: dict[str, str]
) -> None:
    # On PostgreSQL only the announcement can explain it (the safety net is far longer than the test);
    # on SQLite another process has only the safety net.
    safety_net = 30.0 if db_url.startswith("postgresql") else 0.2
    async with build(settings_for(db_url, safety_net_seconds=safety_net), upgrade=False) as other, background(other):
        for _ in range(100):
            if other.search.ready:
                break
            await asyncio.sleep(0.05)
        assert other.search.ready
        draft = SongDraft(title="Total Eclipse of the Heart", artist="Bonnie Tyler")
        song = await container.catalog.add_song(draft)
        for _ in range(60):
            result = await other.search.search("total eclipse bonnie tyler")
            if result.items and result.items[0].song.song_id == song.song_id:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the other instance did not see the new song within 6 s")
        await container.catalog.remove_song(song.song_id)
        for _ in range(60):
            result = await other.search.search("total eclipse bonnie tyler")
            if all(item.song.song_id != song.song_id for item in result.items):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the other instance still finds the deleted song after 6 s")
