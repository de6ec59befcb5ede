"""The show and rotation API contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import httpx
import pytest

from core.rotation import SETTING_BOUNDS, ShowSettings
from tests.api.test_songs_contract import assert_envelope

SHOWS = "/api/v1/shows"


class Night:
    """A show driven through the API, with songs made on demand."""

    def __init__(self, client: httpx.AsyncClient, admin: dict[str, str], show: dict[str, Any]) -> None:
        self.client, self.admin, self.show = client, admin, show
        self.url = f"{SHOWS}/{show['show_id']}"
        self.songs: dict[str, str] = {}

    async def song(self, title: str, duration: int | None = 200) -> str:
        if title not in self.songs:
            response = await self.client.post(
                "/api/v1/songs", json={"title": title, "artist": f"Artist of {title}", "duration": duration},
                headers=self.admin,
            )
            self.songs[title] = response.json()["song_id"]
        return self.songs[title]

    async def request(self, singer: str, title: str, **extra: Any) -> httpx.Response:
        body = {"singer": {"name": singer, "platform": "telegram", "user_id": f"id-{singer}"},
                "song_id": await self.song(title)}
        return await self.client.post(f"{self.url}/requests", json=body, headers=self.admin | extra)

    async def upcoming(self) -> list[str]:
        queue = (await self.client.get(f"{self.url}/queue")).json()
        return [titles_by_id(self, slot["song"]["song_id"]) for slot in queue["upcoming"]]

    async def now(self) -> str | None:
        queue = (await self.client.get(f"{self.url}/queue")).json()
        return titles_by_id(self, queue["now"]["song"]["song_id"]) if queue["now"] else None

    async def kj(self, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(f"{self.url}/{action}", json=body, headers=self.admin)


def titles_by_id(night: Night, song_id: str) -> str:
    return next(title for title, sid in night.songs.items() if sid == song_id)


async def open_night(client: httpx.AsyncClient, admin: dict[str, str], **settings: Any) -> Night:
    body: dict[str, Any] = {"name": "Friday Karaoke"}
    if settings:
        body["settings"] = settings
    response = await client.post(SHOWS, json=body, headers=admin)
    assert response.status_code == 201, response.text
    return Night(client, admin, response.json())


async def test_opening_a_show_answers_its_code_and_settings(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin, policy="fifo", max_pending=2)
    show = night.show
    uuid.UUID(show["show_id"])
    assert show["name"] == "Friday Karaoke" and show["status"] == "open"
    assert len(show["code"]) == 5 and show["code"].isalnum() and show["code"] == show["code"].upper()
    assert show["settings"]["policy"] == "fifo" and show["settings"]["max_pending"] == 2
    assert show["settings"]["changeover_seconds"] == 60
    assert show["created_at"].endswith("Z")
    assert (await client.get(night.url)).json() == show
    listed = (await client.get(SHOWS, params={"status": "open"})).json()["items"]
    assert [s["show_id"] for s in listed] == [show["show_id"]]
    assert (await client.get(SHOWS, params={"status": "closed"})).json()["items"] == []


async def test_the_worked_example_through_the_api(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    for singer, title in [("A", "A1"), ("A", "A2"), ("B", "B1"), ("C", "C1")]:
        assert (await night.request(singer, title)).status_code == 201
    assert await night.upcoming() == ["A1", "B1", "C1", "A2"]
    assert (await night.kj("advance")).status_code == 200
    assert await night.now() == "A1"
    await night.request("D", "D1")
    assert await night.upcoming() == ["B1", "C1", "D1", "A2"]
    await night.kj("advance")
    await night.request("B", "B2")
    assert await night.upcoming() == ["C1", "D1", "A2", "B2"]


async def test_a_request_answers_the_singer_song_and_place(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    response = await night.request("Alice", "Zombie")
    assert response.status_code == 201
    body = response.json()
    assert body["singer"]["name"] == "Alice" and body["status"] == "pending" and body["position"] == 1
    assert body["song"] == {"song_id": night.songs["Zombie"], "title": "Zombie", "artist": "Artist of Zombie"}
    assert body["already_sung_tonight"] is False


async def test_the_same_idempotency_key_queues_once_and_answers_the_same(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    night = await open_night(client, admin)
    first = await night.request("Alice", "Zombie", **{"Idempotency-Key": "tap-1"})
    again = await night.request("Alice", "Zombie", **{"Idempotency-Key": "tap-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    queue = (await client.get(f"{night.url}/queue")).json()
    assert len(queue["upcoming"]) == 1
    log = (await client.get(f"{night.url}/log", headers=admin)).json()
    assert [e["type"] for e in log["items"]] == ["ShowOpened", "SingerJoined", "SongRequested"]


async def test_limits_refuse_the_fourth_request_and_a_pending_duplicate(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    night = await open_night(client, admin)
    for title in ["S1", "S2", "S3"]:
        assert (await night.request("Alice", title)).status_code == 201
    assert_envelope(await night.request("Alice", "S4"), 409, "limit-reached")
    assert_envelope(await night.request("Bob", "S1"), 409, "duplicate-song")
    assert len((await client.get(f"{night.url}/queue")).json()["upcoming"]) == 3


async def test_a_song_sung_tonight_may_be_requested_again_and_the_answer_says_so(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    night = await open_night(client, admin)
    await night.request("Alice", "Zombie")
    await night.kj("advance")
    await night.kj("advance")
    again = await night.request("Bob", "Zombie")
    assert again.status_code == 201 and again.json()["already_sung_tonight"] is True


async def test_a_closed_show_accepts_nothing(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    closed = await client.post(f"{night.url}/close", headers=admin)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert_envelope(await night.request("Alice", "Zombie"), 409, "show-closed")
    assert_envelope(await night.kj("advance"), 409, "show-closed")
    assert (await client.get(SHOWS, params={"status": "open"})).json()["items"] == []


async def test_etas_add_durations_and_changeovers(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin, changeover_seconds=30, default_song_seconds=240)
    await night.request("A", "Long")
    await night.request("B", "Unknown length")
    queue = (await client.get(f"{night.url}/queue")).json()
    assert [s["eta_seconds"] for s in queue["upcoming"]] == [0, 230]
    assert queue["now"] is None and queue["version"] == 5


async def test_kj_actions_skip_pause_move_and_undo(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    for singer, title in [("A", "A1"), ("B", "B1"), ("C", "C1")]:
        await night.request(singer, title)
    await night.kj("advance")  # A1 on stage, B is called next
    skipped = await night.kj("skip")  # B is passed over: A1 sings on, C is called
    assert skipped.status_code == 200
    assert await night.now() == "A1"
    assert await night.upcoming() == ["C1", "B1"]
    undone = await night.kj("undo")
    assert undone.status_code == 200
    assert await night.now() == "A1" and await night.upcoming() == ["B1", "C1"]
    queue = (await client.get(f"{night.url}/queue")).json()
    c_request = queue["upcoming"][1]["request_id"]
    b_singer = queue["upcoming"][0]["singer"]["singer_id"]
    moved = await night.kj(f"requests/{c_request}/move", {"position": 1})
    assert moved.status_code == 200 and await night.upcoming() == ["C1", "B1"]
    await night.kj("undo")
    paused = await night.kj(f"singers/{b_singer}/pause")
    assert paused.status_code == 200 and await night.upcoming() == ["C1"]
    await night.kj(f"singers/{b_singer}/resume")
    assert sorted(await night.upcoming()) == ["B1", "C1"]
    log_types = [e["type"] for e in (await client.get(f"{night.url}/log", headers=admin)).json()["items"]]
    assert "KjActionReverted" in log_types and "SingerPaused" in log_types


async def test_history_lists_what_was_sung(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    await night.request("A", "A1")
    await night.kj("advance")
    await night.kj("advance")
    items = (await client.get(f"{night.url}/history")).json()["items"]
    assert [(i["song"]["title"], i["outcome"], i["singer"]["name"]) for i in items] == [("A1", "sung", "A")]
    assert items[0]["finished_at"].endswith("Z")


async def test_removing_a_request_withdraws_it(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    request_id = (await night.request("A", "A1")).json()["request_id"]
    assert (await client.delete(f"{night.url}/requests/{request_id}", headers=admin)).status_code == 204
    assert await night.upcoming() == []
    assert_envelope(await client.delete(f"{night.url}/requests/{request_id}", headers=admin), 409, "conflict")


async def test_the_last_advance_leaves_the_stage_empty(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    assert_envelope(await night.kj("undo"), 409, "nothing-to-undo")
    assert_envelope(await night.kj("advance"), 409, "conflict")
    await night.request("A", "A1")
    assert (await night.kj("advance")).json()["now"]["song"]["title"] == "A1"
    response = await night.kj("advance")
    assert response.status_code == 200 and response.json()["now"] is None and response.json()["upcoming"] == []


@pytest.mark.parametrize(
    ("path", "body"),
    [("", {"name": "x"}), ("/{id}/advance", None), ("/{id}/skip", None), ("/{id}/undo", None),
     ("/{id}/close", None), ("/{id}/requests", {"singer": {"name": "x"}, "song_id": str(uuid.uuid4())})],
)
async def test_kj_writes_without_the_token_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, Any] | None
) -> None:
    night = await open_night(client, admin)
    url = SHOWS + path.replace("{id}", night.show["show_id"])
    assert_envelope(await client.post(url, json=body, headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    assert (await client.get(f"{night.url}/log", headers=admin)).json()["version"] == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 201}, {"name": "x", "settings": {"policy": "lottery"}},
     {"name": "x", "settings": {"max_pending": 0}}, {"name": "x", "settings": {"max_pending": "3"}},
     {"name": "x", "settings": {"surprise": 1}}],
)
async def test_bad_shows_are_400(client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]) -> None:
    assert_envelope(await client.post(SHOWS, json=body, headers=admin), 400, "validation-error")
    assert (await client.get(SHOWS)).json()["items"] == []


async def test_unknown_shows_songs_and_singers_are_404(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    missing = f"{SHOWS}/{uuid.uuid4()}"
    assert_envelope(await client.get(missing), 404, "not-found")
    assert_envelope(await client.get(f"{missing}/queue"), 404, "not-found")
    assert_envelope(await client.post(f"{missing}/advance", headers=admin), 404, "not-found")
    night = await open_night(client, admin)
    body = {"singer": {"name": "A"}, "song_id": str(uuid.uuid4())}
    assert_envelope(await client.post(f"{night.url}/requests", json=body, headers=admin), 404, "not-found")
    assert_envelope(await night.kj(f"singers/{uuid.uuid4()}/pause"), 404, "not-found")
    assert_envelope(await client.get(f"{SHOWS}/not-a-uuid/queue"), 400, "validation-error")


async def test_the_schema_states_the_rotations_own_setting_ranges(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["SettingsBody"]["properties"]
    for name, bounds in SETTING_BOUNDS.items():
        number = next(option for option in schema[name]["anyOf"] if option.get("type") == "integer")
        assert (number["minimum"], number["maximum"]) == (bounds.low, bounds.high), name
    assert set(schema) == {f.name for f in dataclasses.fields(ShowSettings)}


async def test_shows_are_listed_a_page_at_a_time_newest_first_with_their_current_settings(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    nights = [await open_night(client, admin) for _ in range(5)]
    changed = await client.patch(nights[1].url, json={"settings": {"max_pending": 7}}, headers=admin)
    assert changed.status_code == 200, changed.text
    await client.post(f"{nights[0].url}/close", headers=admin)
    first = (await client.get(SHOWS, params={"limit": 2})).json()
    second = (await client.get(SHOWS, params={"limit": 2, "page": 2})).json()
    last = (await client.get(SHOWS, params={"limit": 2, "page": 3})).json()
    listed = [s["show_id"] for page in (first, second, last) for s in page["items"]]
    assert listed == [n.show["show_id"] for n in reversed(nights)]
    assert (first["total"], first["has_next"], last["has_next"], len(last["items"])) == (5, True, False, 1)
    by_id = {s["show_id"]: s for page in (first, second, last) for s in page["items"]}
    assert by_id[nights[1].show["show_id"]]["settings"]["max_pending"] == 7
    assert by_id[nights[1].show["show_id"]] == (await client.get(nights[1].url)).json()
    assert by_id[nights[0].show["show_id"]]["status"] == "closed"
    open_only = (await client.get(SHOWS, params={"status": "open"})).json()
    assert open_only["total"] == 4 and nights[0].show["show_id"] not in [s["show_id"] for s in open_only["items"]]
    assert_envelope(await client.get(SHOWS, params={"limit": 0}), 400, "validation-error")
