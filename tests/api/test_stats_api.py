"""``GET /api/v1/stats`` (admin) on SQLite and PostgreSQL: a night through the real service, its performances
projected and summed, read back with names only; bad windows are 400 envelopes, never 500."""

from __future__ import annotations

import httpx
import pytest

from core.rotation import AdvanceQueue, CloseShow, SingerRef, SkipSinger, SongRef
from karaoke.bootstrap import Container

AFRICA = SongRef("song-africa", "Africa", "Toto", 295)
ZOMBIE = SongRef("song-zombie", "Zombie", "The Cranberries", 306)
QUEEN = SongRef("song-queen", "Dancing Queen", "ABBA", 231)


async def _night(container: Container) -> None:
    rotation = container.rotation
    show_id = (await rotation.open_show("stats-open", "Friday")).show_id
    ann = SingerRef("telegram", "555123", "Ann", "person-ann")
    await rotation.request_song(show_id, "r1", ann, AFRICA)
    await rotation.request_song(show_id, "r2", SingerRef("slack", "U0BOB", "Bob", "person-bob"), ZOMBIE)
    await rotation.request_song(show_id, "r3", SingerRef(None, None, "Walk-in Wendy", "person-wendy"), QUEEN)
    await rotation.execute(show_id, AdvanceQueue("a1"))  # Ann: Africa
    await rotation.execute(show_id, SkipSinger("skip"))  # Bob is passed over: a no-show
    await rotation.execute(show_id, AdvanceQueue("a2"))  # Africa sung; Wendy: Dancing Queen
    await rotation.execute(show_id, AdvanceQueue("a3"))  # sung; Bob's Zombie waited: his turn in the next round
    await rotation.request_song(show_id, "r4", ann, QUEEN)
    await rotation.execute(show_id, AdvanceQueue("a4"))  # Zombie sung; Ann: Dancing Queen
    await rotation.execute(show_id, AdvanceQueue("a5"))  # sung
    await rotation.execute(show_id, CloseShow("close"))
    await container.projections.catch_up_all()


async def test_the_stats_of_a_night_name_songs_and_singers_never_ids(
        container: Container, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await _night(container)
    answer = await client.get("/api/v1/stats", headers=admin)
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    assert (stats["shows"], stats["performances"], stats["singers"], stats["no_shows"]) == (1, 4, 3, 1)
    assert stats["top_songs"] == [
        {"song_id": "song-queen", "title": "Dancing Queen", "artist": "ABBA", "count": 2},
        {"song_id": "song-africa", "title": "Africa", "artist": "Toto", "count": 1},
        {"song_id": "song-zombie", "title": "Zombie", "artist": "The Cranberries", "count": 1}]
    assert stats["top_artists"] == [{"artist": "ABBA", "count": 2}, {"artist": "The Cranberries", "count": 1},
                                    {"artist": "Toto", "count": 1}]
    assert stats["top_singers"] == [{"name": "Ann", "count": 2}, {"name": "Bob", "count": 1},
                                    {"name": "Walk-in Wendy", "count": 1}]
    assert sum(h["count"] for h in stats["busiest_hours"]) == 4
    assert all(0 <= h["hour"] <= 23 for h in stats["busiest_hours"])
    assert stats["no_show_rate"] == 0.2
    assert stats["average_wait_seconds"] is not None and stats["average_wait_seconds"] >= 0
    assert stats["from"] is None and stats["to"] is None
    for secret in ("555123", "U0BOB", "person-ann", "telegram", "slack"):
        assert secret not in answer.text

    wide = (await client.get("/api/v1/stats?from=2000-01-01&to=2999-12-31", headers=admin)).json()
    assert {k: v for k, v in wide.items() if k not in ("from", "to")} == {
        k: v for k, v in stats.items() if k not in ("from", "to")}
    assert (wide["from"], wide["to"]) == ("2000-01-01T00:00:00.000000Z", "3000-01-01T00:00:00.000000Z")
    past = (await client.get("/api/v1/stats?from=2001-02-03T04:05:06%2B02:00&to=2001-03-01", headers=admin)).json()
    assert (past["performances"], past["top_songs"], past["no_show_rate"]) == (0, [], None)
    assert past["from"] == "2001-02-03T02:05:06.000000Z"


@pytest.mark.parametrize(("query", "field"), [
    ("from=yesterday", "from"), ("to=2026-13-45", "to"), ("from=2026-02-30", "from"), ("from=2026-11-28T25:00", "from"),
    ("from=" + "2" * 200, "from"), ("to=2026-11-28%00", "to"), ("from=２０２６-11-28", "from"),
    ("from=9999-12-31&to=9999-12-31", "to"), ("from=2026-12-01&to=2026-11-30", "from"),
    ("from=2026-11-28T22:00:00Z&to=2026-11-28T21:00:00Z", "from"),
])
async def test_a_bad_window_is_a_400_envelope_naming_the_field(
        client: httpx.AsyncClient, admin: dict[str, str], query: str, field: str) -> None:
    answer = await client.get(f"/api/v1/stats?{query}", headers=admin)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation-error"
    assert [e["field"] for e in error["details"]["fieldErrors"]] == [field]


async def test_stats_need_the_admin_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}):
        answer = await client.get("/api/v1/stats", headers=headers)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


async def test_an_empty_deployment_has_zeros_and_no_rates(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    stats = (await client.get("/api/v1/stats?to=2026-11-28", headers=admin)).json()
    assert (stats["shows"], stats["performances"], stats["singers"]) == (0, 0, 0)
    assert (stats["average_wait_seconds"], stats["no_show_rate"], stats["busiest_hours"]) == (None, None, [])
