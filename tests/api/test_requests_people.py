"""``POST /api/v1/shows/{id}/requests`` finds its singer as the chat does, through ``People``: a chat account is
its person (linked accounts are one singer: one turn a round, one ``max_pending``), and a name alone is whom a
KJ means with ``/add`` (the show's singer of that name, else a new walk-in person), on both databases."""

from __future__ import annotations

from typing import Any

import httpx

from karaoke.bootstrap import Container
from tests.api.test_songs_contract import assert_envelope


async def _night(client: httpx.AsyncClient, admin: dict[str, str], **settings: int) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Friday"}
    if settings:
        body["settings"] = settings
    answer = await client.post("/api/v1/shows", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    show: dict[str, Any] = answer.json()
    show["songs"] = {}
    for title in ("Africa", "Zombie", "Linger", "Dreams", "Jolene"):
        song = await client.post("/api/v1/songs", json={"title": title, "artist": "Someone"}, headers=admin)
        show["songs"][title] = song.json()["song_id"]
    return show


async def _ask(client: httpx.AsyncClient, admin: dict[str, str], show: dict[str, Any], singer: dict[str, str],
               title: str, key: str | None = None) -> httpx.Response:
    headers = dict(admin, **({"Idempotency-Key": key} if key else {}))
    return await client.post(f"/api/v1/shows/{show['show_id']}/requests", headers=headers,
                             json={"singer": singer, "song_id": show["songs"][title]})


async def test_two_linked_accounts_asking_through_the_api_are_one_singer_with_one_limit(
        container: Container, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    ann = await container.people.person("telegram", "555")
    code = await container.people.link_code(ann.person_id)
    assert (await container.people.link("slack", "U55", code, "link-1")).person is not None
    show = await _night(client, admin, max_pending=2)

    first = await _ask(client, admin, show, {"name": "Ann", "platform": "telegram", "user_id": "555"}, "Africa")
    bob = await _ask(client, admin, show, {"name": "Bob"}, "Zombie")
    second = await _ask(client, admin, show, {"name": "Ann on Slack", "platform": "slack", "user_id": "U55"},
                        "Linger")
    assert first.status_code == bob.status_code == second.status_code == 201, second.text
    assert second.json()["singer"]["singer_id"] == first.json()["singer"]["singer_id"]
    assert_envelope(await _ask(client, admin, show, {"name": "Ann", "platform": "slack", "user_id": "U55"},
                               "Dreams"), 409, "limit-reached")

    queue = (await client.get(f"/api/v1/shows/{show['show_id']}/queue")).json()
    # One turn a round: Ann, Bob, then Ann's second song, whichever account asked for it.
    assert [(s["singer"]["name"], s["song"]["title"]) for s in queue["upcoming"]] == [
        ("Ann", "Africa"), ("Bob", "Zombie"), ("Ann", "Linger")]


async def test_a_name_alone_is_a_walk_in_person_or_the_shows_singer_of_that_name(
        container: Container, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    show = await _night(client, admin)
    added = await _ask(client, admin, show, {"name": "Maria"}, "Africa", key="maria-1")
    assert added.status_code == 201, added.text
    # The same key again: the first answer, no second song and no second person.
    again = await _ask(client, admin, show, {"name": "Maria"}, "Africa", key="maria-1")
    assert again.status_code == 201 and again.json()["request_id"] == added.json()["request_id"]
    state = await container.rotation.state(show["show_id"])
    singer = state.singers[added.json()["singer"]["singer_id"]]
    assert singer.platform is None and singer.person_id is not None
    person = await container.people.store.get(singer.person_id)
    assert person is not None and person.walk_in and person.name == "Maria"

    # "maria" later is the same walk-in (a name is whom the KJ means), not a second Maria.
    later = await _ask(client, admin, show, {"name": " maria "}, "Zombie")
    assert later.json()["singer"]["singer_id"] == added.json()["singer"]["singer_id"]

    # A chat singer of the show goes by a name too: the KJ adding "Tom" queues for that Tom.
    tom = await _ask(client, admin, show, {"name": "Tom", "platform": "telegram", "user_id": "777"}, "Linger")
    for_tom = await _ask(client, admin, show, {"name": "tom"}, "Dreams")
    assert for_tom.json()["singer"]["singer_id"] == tom.json()["singer"]["singer_id"]
    names = [s["singer"]["name"] for s in (await client.get(f"/api/v1/shows/{show['show_id']}/queue")).json()[
        "upcoming"]]
    assert sorted(names) == ["Maria", "Maria", "Tom", "Tom"]


async def test_odd_singers_are_400_and_unknown_shows_and_songs_404_never_500(
        client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    show = await _night(client, admin)
    for singer in ({"name": "Ann", "platform": "telegram"}, {"name": "   "}, {"name": "a\u0000b"},
                   {"name": "x" * 201}, {"name": "Ann", "user_id": "5"}):
        answer = await _ask(client, admin, show, singer, "Africa")
        assert answer.status_code == 400, (singer, answer.status_code)
    missing = await client.post("/api/v1/shows/00000000-0000-4000-8000-000000000000/requests", headers=admin,
                                json={"singer": {"name": "Ann"}, "song_id": show["songs"]["Africa"]})
    assert_envelope(missing, 404, "not-found")
    no_song = await client.post(f"/api/v1/shows/{show['show_id']}/requests", headers=admin,
                                json={"singer": {"name": "Ann"}, "song_id": "00000000-0000-4000-8000-000000000000"})
    assert_envelope(no_song, 404, "not-found")
