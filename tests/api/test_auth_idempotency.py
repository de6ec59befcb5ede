"""An Idempotency-Key names one request: the same request again gets the first answer, another one a 422."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from api.app import create_app
from karaoke.bootstrap import Container, build
from tests.api.test_songs_contract import assert_envelope

SHOWS = "/api/v1/shows"


async def _song(http: httpx.AsyncClient, admin: dict[str, str], title: str) -> str:
    answer = await http.post("/api/v1/songs", json={"title": title, "artist": "Band"}, headers=admin)
    song_id: str = answer.json()["song_id"]
    return song_id


def _request(song_id: str, name: str = "Alice") -> dict[str, Any]:
    return {"singer": {"name": name, "platform": "telegram", "user_id": f"id-{name}"}, "song_id": song_id}


async def test_a_key_reused_with_another_body_is_refused_and_the_same_body_still_gets_the_first_answer(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    show = (await client.post(SHOWS, json={"name": "Friday"}, headers=admin)).json()
    url = f"{SHOWS}/{show['show_id']}/requests"
    zombie, creep = await _song(client, admin, "Zombie"), await _song(client, admin, "Creep")
    key = admin | {"Idempotency-Key": "tap-1"}
    first = await client.post(url, json=_request(zombie), headers=key)
    assert first.status_code == 201
    other = await client.post(url, json=_request(creep), headers=key)
    assert_envelope(other, 422, "idempotency-key-reused")
    # The same body, spelled with its keys in another order, is the same request.
    same = {"song_id": zombie, "singer": {"user_id": "id-Alice", "platform": "telegram", "name": "Alice"}}
    again = await client.post(url, json=same, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    queue = (await client.get(f"{SHOWS}/{show['show_id']}/queue")).json()
    assert [slot["song"]["title"] for slot in queue["upcoming"]] == ["Zombie"]


async def test_a_key_reused_for_another_target_or_another_show_name_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    key = admin | {"Idempotency-Key": "open-1"}
    first = await client.post(SHOWS, json={"name": "Friday"}, headers=key)
    assert first.status_code == 201
    assert (await client.post(SHOWS, json={"name": "Friday"}, headers=key)).json() == first.json()
    assert_envelope(await client.post(SHOWS, json={"name": "Saturday"}, headers=key), 422, "idempotency-key-reused")
    show_id = first.json()["show_id"]
    joined = []
    for name in ("Ann", "Ben"):
        song = await _song(client, admin, f"Song of {name}")
        answer = await client.post(f"{SHOWS}/{show_id}/requests", json=_request(song, name), headers=admin)
        joined.append(answer.json()["singer"]["singer_id"])
    pause = admin | {"Idempotency-Key": "pause-1"}
    assert (await client.post(f"{SHOWS}/{show_id}/singers/{joined[0]}/pause", headers=pause)).status_code == 200
    assert (await client.post(f"{SHOWS}/{show_id}/singers/{joined[0].upper()}/pause", headers=pause)).status_code \
        == 200
    assert_envelope(await client.post(f"{SHOWS}/{show_id}/singers/{joined[1]}/pause", headers=pause), 422,
                    "idempotency-key-reused")
    # A key is namespaced by command, as before: the same key for another kind of command is another command.
    assert (await client.post(f"{SHOWS}/{show_id}/advance", headers=pause)).status_code == 200


async def test_the_refusal_holds_across_instances_even_when_they_race(
    container: Container, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    show = (await client.post(SHOWS, json={"name": "Friday"}, headers=admin)).json()
    url = f"{SHOWS}/{show['show_id']}/requests"
    songs = [await _song(client, admin, f"Song {n}") for n in range(12)]
    async with build(container.settings, upgrade=False) as other:
        transport = httpx.ASGITransport(app=create_app(other))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as elsewhere:
            for n in range(3):
                key = admin | {"Idempotency-Key": f"race-{n}"}
                answers = await asyncio.gather(*(
                    http.post(url, json=_request(song, f"S{n}"), headers=key)
                    for http, song in zip((client, elsewhere, client, elsewhere), songs[4 * n:4 * n + 4], strict=True)
                ))
                statuses = sorted(a.status_code for a in answers)
                assert statuses == [201, 422, 422, 422], [a.text for a in answers]
    queue = (await client.get(f"{SHOWS}/{show['show_id']}/queue")).json()
    assert len(queue["upcoming"]) == 3
