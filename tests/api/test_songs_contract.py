"""The song catalog API contract, case by case, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

BASE = "/api/v1/songs"
Z_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def create(client: httpx.AsyncClient, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "Bohemian Rhapsody", "artist": "Queen", "duration": 355} | fields
    response = await client.post(BASE, json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.text and "SELECT" not in response.text
    error: dict[str, Any] = body["error"]
    return error


async def test_health_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_the_database_answers_and_is_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "details": {"projections": {"performances": "ok"}}}


async def test_a_created_song_is_returned_with_its_location(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        BASE,
        json={"title": "  Bohemian   Rhapsody ", "artist": "Queen", "duration": 355,
              "media_file": {"bucket": "songs", "key": "queen/bohemian.mp4"}, "year": 1975},
        headers=admin,
    )
    assert response.status_code == 201
    song = response.json()
    assert response.headers["location"] == f"/api/v1/songs/{song['song_id']}"
    uuid.UUID(song["song_id"])
    assert song["title"] == "Bohemian Rhapsody"
    assert song["media_file"] == {"bucket": "songs", "key": "queen/bohemian.mp4"}
    assert song["year"] == 1975
    assert Z_TIMESTAMP.match(song["created_at"]) and song["created_at"] == song["updated_at"]
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == song


async def test_patch_changes_only_the_fields_given(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    song = await create(client, admin, media_file={"bucket": "b", "key": "k"})
    response = await client.patch(f"{BASE}/{song['song_id']}", json={"duration": 360}, headers=admin)
    assert response.status_code == 200
    changed = response.json()
    assert changed["duration"] == 360
    assert (changed["title"], changed["artist"], changed["media_file"]) == (
        song["title"], song["artist"], song["media_file"])
    assert changed["created_at"] == song["created_at"]
    assert changed["updated_at"] > song["updated_at"]
    cleared = await client.patch(f"{BASE}/{song['song_id']}", json={"media_file": None}, headers=admin)
    assert cleared.json()["media_file"] is None


async def test_patch_with_nothing_new_keeps_updated_at(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    song = await create(client, admin)
    response = await client.patch(f"{BASE}/{song['song_id']}", json={"title": "Bohemian Rhapsody"}, headers=admin)
    assert response.json()["updated_at"] == song["updated_at"]


async def test_delete_then_delete_again_is_not_found(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    song = await create(client, admin)
    url = f"{BASE}/{song['song_id']}"
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert_envelope(await client.delete(url, headers=admin), 404, "not-found")
    assert_envelope(await client.get(url), 404, "not-found")
    assert_envelope(await client.patch(url, json={"duration": 1}, headers=admin), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "needs_id", "body"),
    [("post", False, {"title": "t", "artist": "a"}), ("patch", True, {"duration": 1}), ("delete", True, None)],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdDp0ZXN0"}, {"Authorization": "Bearer "}],
    ids=["missing", "wrong", "not-bearer", "empty"],
)
async def test_writes_without_the_right_token_are_refused_and_change_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], method: str, needs_id: bool,
    body: dict[str, Any] | None, headers: dict[str, str],
) -> None:
    song = await create(client, admin)
    url = f"{BASE}/{song['song_id']}" if needs_id else BASE
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    response = await client.request(method.upper(), url, **kwargs)
    assert_envelope(response, 401, "unauthorized")
    listing = (await client.get(BASE)).json()
    assert listing["total"] == 1
    assert listing["items"][0] == song


INVALID_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("empty title", {"title": "", "artist": "a"}, "title"),
    ("whitespace title", {"title": "   \t ", "artist": "a"}, "title"),
    ("title too long", {"title": "x" * 201, "artist": "a"}, "title"),
    ("artist missing", {"title": "t"}, "artist"),
    ("artist not a string", {"title": "t", "artist": 5}, "artist"),
    ("duration negative", {"title": "t", "artist": "a", "duration": -1}, "duration"),
    ("duration too big", {"title": "t", "artist": "a", "duration": 86_401}, "duration"),
    ("duration fractional", {"title": "t", "artist": "a", "duration": 3.5}, "duration"),
    ("duration a string", {"title": "t", "artist": "a", "duration": "300"}, "duration"),
    ("duration a boolean", {"title": "t", "artist": "a", "duration": True}, "duration"),
    ("media without key", {"title": "t", "artist": "a", "media_file": {"bucket": "b"}}, "media_file.key"),
    ("media without bucket", {"title": "t", "artist": "a", "media_file": {"key": "k"}}, "media_file.bucket"),
    ("media empty bucket", {"title": "t", "artist": "a", "media_file": {"bucket": "", "key": "k"}},
     "media_file.bucket"),
    ("media key too long", {"title": "t", "artist": "a", "media_file": {"bucket": "b", "key": "k" * 1025}},
     "media_file.key"),
    ("unknown field", {"title": "t", "artist": "a", "lyrics": "la la"}, "lyrics"),
    ("control characters", {"title": "a\x00b", "artist": "a"}, "title"),
    ("lone surrogate", {"title": "a\ud800b", "artist": "a"}, "title"),
]


@pytest.mark.parametrize(("case", "body", "field"), INVALID_BODIES, ids=[c[0] for c in INVALID_BODIES])
async def test_invalid_songs_are_refused_with_the_field_named(
    client: httpx.AsyncClient, admin: dict[str, str], case: str, body: dict[str, Any], field: str
) -> None:
    # json.dumps escapes non-ASCII, so a lone surrogate travels as the "\\ud800" escape a client would send.
    response = await client.post(
        BASE, content=json.dumps(body), headers=admin | {"Content-Type": "application/json"}
    )
    error = assert_envelope(response, 400, "validation-error")
    assert field in [e["field"] for e in error["details"]["fieldErrors"]], error
    assert (await client.get(BASE)).json()["total"] == 0


async def test_a_title_exactly_200_characters_after_trimming_is_accepted(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    song = await create(client, admin, title="  " + "é" * 200 + "  ")
    assert song["title"] == "é" * 200


@pytest.mark.parametrize(
    "body",
    [{"title": None}, {"artist": ""}, {"duration": -5}, {"media_file": {"bucket": "b"}}, {"duet": "yes"}],
)
async def test_invalid_patches_are_refused_and_change_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    song = await create(client, admin)
    response = await client.patch(f"{BASE}/{song['song_id']}", json=body, headers=admin)
    assert_envelope(response, 400, "validation-error")
    assert (await client.get(f"{BASE}/{song['song_id']}")).json() == song


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b'"text"', b"null", "{\"title\": \"\u00e9\"".encode()],
    ids=["empty", "truncated", "array", "string", "null", "unterminated"],
)
async def test_malformed_json_is_a_400_envelope(client: httpx.AsyncClient, admin: dict[str, str], raw: bytes) -> None:
    response = await client.post(BASE, content=raw, headers=admin | {"Content-Type": "application/json"})
    assert_envelope(response, 400, "validation-error")


async def test_a_malformed_id_is_a_400_and_an_unknown_one_a_404(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get(f"{BASE}/not-a-uuid"), 400, "validation-error")
    assert_envelope(await client.get(f"{BASE}/{uuid.uuid4()}"), 404, "not-found")


async def test_unknown_routes_and_methods_use_the_envelope(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_envelope(await client.put(BASE), 405, "method-not-allowed")


async def seed(client: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    songs = [
        ("Zombie", "The Cranberries", 306),
        ("bohemian rhapsody", "Queen", 355),
        ("Another One Bites the Dust", "Queen", 215),
        ("Écoute", "Angèle", None),
        ("Alive", "Pearl Jam", 341),
        ("Alive", "Sia", 263),
        ("Dancing Queen", "ABBA", 231),
    ]
    return [await create(client, admin, title=t, artist=a, duration=d) for t, a, d in songs]


async def test_listing_filters_by_title_or_artist_ignoring_case(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(client, admin)
    body = (await client.get(BASE, params={"q": "QUEEN"})).json()
    assert sorted(s["title"] for s in body["items"]) == [
        "Another One Bites the Dust", "Dancing Queen", "bohemian rhapsody"]
    assert body["total"] == 3
    accented = (await client.get(BASE, params={"q": "éCOUTE"})).json()
    assert [s["artist"] for s in accented["items"]] == ["Angèle"]
    literal = (await client.get(BASE, params={"q": "%"})).json()
    assert literal["total"] == 0


async def test_listing_sorts_stably_with_ties_broken_by_song_id(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(client, admin)
    items = (await client.get(BASE, params={"sort": "title"})).json()["items"]
    titles = [s["title"] for s in items]
    assert titles == ["Alive", "Alive", "Another One Bites the Dust", "bohemian rhapsody", "Dancing Queen",
                      "Zombie", "Écoute"]
    alive_ids = [s["song_id"] for s in items if s["title"] == "Alive"]
    assert alive_ids == sorted(alive_ids)
    by_duration = (await client.get(BASE, params={"sort": "duration", "order": "desc"})).json()["items"]
    assert [s["duration"] for s in by_duration] == [355, 341, 306, 263, 231, 215, None]
    artists_desc = (await client.get(BASE, params={"sort": "artist", "order": "desc"})).json()["items"]
    assert artists_desc[0]["artist"] == "The Cranberries" and artists_desc[-1]["artist"] == "ABBA"
    created = (await client.get(BASE, params={"sort": "created_at"})).json()["items"]
    assert created[0]["title"] == "Zombie"


async def test_pages_walk_the_whole_list_once(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    songs = await seed(client, admin)
    seen: list[str] = []
    page = 1
    while True:
        body = (await client.get(BASE, params={"page": page, "limit": 3, "sort": "updated_at"})).json()
        assert (body["page"], body["limit"], body["total"]) == (page, 3, len(songs))
        assert body["has_next"] == (page * 3 < len(songs))
        seen += [s["song_id"] for s in body["items"]]
        if not body["has_next"]:
            break
        page += 1
    assert sorted(seen) == sorted(s["song_id"] for s in songs)
    past = (await client.get(BASE, params={"page": 99, "limit": 3})).json()
    assert past["items"] == [] and past["has_next"] is False and past["total"] == len(songs)


@pytest.mark.parametrize(
    "params",
    [{"sort": "lyrics"}, {"order": "up"}, {"limit": 0}, {"limit": 101}, {"page": 0}, {"page": "x"},
     {"q": "x" * 201}, {"q": "a\x00"}],
    ids=["sort", "order", "limit0", "limit101", "page0", "page-text", "q-long", "q-nul"],
)
async def test_bad_listing_parameters_are_400(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    assert_envelope(await client.get(BASE, params=params), 400, "validation-error")


async def test_a_second_song_with_the_same_external_id_is_a_conflict(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await create(client, admin, external_id="karafun:1")
    response = await client.post(BASE, json={"title": "x", "artist": "y", "external_id": "karafun:1"}, headers=admin)
    assert_envelope(response, 409, "conflict")


async def test_not_ready_when_the_database_is_unreachable_or_not_migrated(tmp_path: Any) -> None:
    from api.app import create_app
    from karaoke.bootstrap import build
    from tests.conftest import settings_for

    unmigrated = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    unreachable = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    for url, reason in [(unmigrated, "newest migration"), (unreachable, "does not answer")]:
        async with build(settings_for(url), upgrade=False) as container:
            transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                answer = await http.get("/api/v1/readyz")
                error = assert_envelope(answer, 503, "unavailable")
                assert reason in error["message"] and answer.headers["retry-after"] == "2"
                assert (await http.get("/api/v1/healthz")).status_code == 200


async def test_not_ready_while_the_search_index_is_building(db_url: str) -> None:
    from api.app import create_app
    from karaoke.bootstrap import build
    from tests.conftest import settings_for

    async with build(settings_for(db_url), upgrade=False) as container:
        transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            error = assert_envelope(await http.get("/api/v1/readyz"), 503, "unavailable")
            assert "search" in error["message"]
            assert_envelope(await http.get("/api/v1/songs/search", params={"q": "x"}), 503, "unavailable")
            await container.search.build()
            assert (await http.get("/api/v1/readyz")).json() == {
                "status": "ready", "details": {"projections": {"performances": "ok"}}}
