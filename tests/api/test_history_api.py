"""Tonight's history over HTTP: the JSON as it always was, the CSV (a header row and one row per performance, names
only, safe in a spreadsheet), the performances as JSON, and /readyz naming the projections."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from tests.api.test_songs_contract import assert_envelope

SHOWS = "/api/v1/shows"
# Names a spreadsheet would run as formulas, a name with the CSV's own punctuation, one in another script.
NASTY = ["=HYPERLINK(\"http://evil\",\"x\")", "+1 555", "-minus", "@at", "Zoë, \"the\" Great", "李小龍", "\tTab"]


class Night:
    def __init__(self, http: httpx.AsyncClient, admin: dict[str, str], show: dict[str, Any]) -> None:
        self.http, self.admin, self.show = http, admin, show
        self.url = f"{SHOWS}/{show['show_id']}"

    async def request(self, singer: dict[str, str], title: str, artist: str = "Band") -> None:
        song = await self.http.post("/api/v1/songs", json={"title": title, "artist": artist, "duration": 200},
                                    headers=self.admin)
        assert song.status_code == 201, song.text
        body = {"singer": singer, "song_id": song.json()["song_id"]}
        answer = await self.http.post(f"{self.url}/requests", json=body, headers=self.admin)
        assert answer.status_code == 201, answer.text

    async def kj(self, action: str, body: dict[str, Any] | None = None) -> None:
        answer = await self.http.post(f"{self.url}/{action}", json=body, headers=self.admin)
        assert answer.status_code == 200, answer.text

    async def csv_rows(self) -> list[list[str]]:
        answer = await self.http.get(f"{self.url}/history", params={"format": "csv"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.content.startswith("\ufeff".encode())
        return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))


async def open_night(http: httpx.AsyncClient, admin: dict[str, str]) -> Night:
    answer = await http.post(SHOWS, json={"name": "Friday"}, headers=admin)
    assert answer.status_code == 201
    return Night(http, admin, answer.json())


async def test_the_csv_has_a_header_and_one_row_per_performance_however_it_ended(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    night = await open_night(client, admin)
    await night.request({"name": "Ann", "platform": "telegram", "user_id": "555123456"}, "Africa", "Toto")
    await night.request({"name": "Ben", "platform": "slack", "user_id": "U024BE7LH"}, "Zombie", "The Cranberries")
    await night.request({"name": "Cat"}, "Creep", "Radiohead")
    await night.kj("advance")  # Ann sings, Ben is called
    await night.kj("skip")  # Ben never came: a no-show
    await night.kj("advance")  # Ann sung; Cat sings
    await night.kj("skip", {"who": "now"})  # Cat never came to the mic: voided; Ben starts
    await night.kj("close")  # Ben was at the mic: unfinished

    rows = await night.csv_rows()
    assert rows[0] == ["n", "singer", "title", "artist", "outcome", "requested_utc", "started_utc", "finished_utc",
                       "wait_seconds"]
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows[1:]] == [
        ("1", "Ben", "Zombie", "The Cranberries", "no-show"),
        ("2", "Ann", "Africa", "Toto", "sung"),
        ("3", "Cat", "Creep", "Radiohead", "voided"),
        ("4", "Ben", "Zombie", "The Cranberries", "unfinished"),
    ]
    for row in rows[1:]:
        assert len(row[5]) == 19 and row[5][10] == " " and int(row[8]) >= 0
    answer = await client.get(f"{night.url}/history", params={"format": "csv"})
    assert "555123456" not in answer.text and "U024BE7LH" not in answer.text
    code = night.show["code"]
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="history-{code}-') and disposition.endswith('.csv"')

    # The JSON is as it was: what the fold calls sung, skipped and voided.
    items = (await client.get(f"{night.url}/history")).json()["items"]
    assert [(i["singer"]["name"], i["outcome"]) for i in items] == [("Ben", "skipped"), ("Ann", "sung"),
                                                                     ("Cat", "voided")]
    assert set(items[0]) == {"request_id", "singer", "song", "outcome", "started_at", "finished_at"}


async def test_cells_a_spreadsheet_would_run_are_defused_and_odd_names_survive_the_round_trip(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    night = await open_night(client, admin)
    for n, name in enumerate(NASTY):
        await night.request({"name": name}, f"=cmd|' /C calc'!A{n}" if n == 0 else f"Song {n}", "-Artist")
    for _ in NASTY:
        await night.kj("advance")
    rows = (await night.csv_rows())[1:]
    assert [r[1] for r in rows] == ["'=HYPERLINK(\"http://evil\",\"x\")", "'+1 555", "'-minus", "'@at",
                                    "Zoë, \"the\" Great", "李小龍"]
    assert rows[0][2] == "'=cmd|' /C calc'!A0" and all(r[3] == "'-Artist" for r in rows)
    for row in rows:
        assert not row[1].startswith(("=", "+", "-", "@", "\t")) and len(row) == 9


async def test_the_history_of_a_fresh_show_is_a_header_and_a_read_right_after_a_change_sees_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    night = await open_night(client, admin)
    assert len(await night.csv_rows()) == 1
    await night.request({"name": "Ann"}, "Africa")
    await night.kj("advance")
    await night.kj("advance")
    # Nothing runs in the background here: reading the view catches the show up first.
    assert [r[1] for r in (await night.csv_rows())[1:]] == ["Ann"]
    await night.kj("undo")
    assert (await night.csv_rows())[1:] == []


async def test_the_performances_as_json_name_singers_only(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    await night.request({"name": "Ann", "platform": "telegram", "user_id": "555123456"}, "Africa", "Toto")
    await night.request({"name": "Ben"}, "Zombie")
    await night.kj("advance")
    await night.kj("advance")
    answer = await client.get(f"{night.url}/performances")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["name"], body["code"], body["closed"]) == ("Friday", night.show["code"], False)
    [ann] = body["items"]
    assert ann["n"] == 1 and ann["singer"] == {"name": "Ann"} and ann["outcome"] == "sung"
    assert ann["song"] == {"title": "Africa", "artist": "Toto", "duration": 200}
    assert ann["started_at"].endswith("Z") and ann["wait_seconds"] >= 0
    assert "555123456" not in answer.text and "singer_id" not in answer.text and "person" not in answer.text


async def test_bad_questions_get_the_envelope(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    night = await open_night(client, admin)
    assert_envelope(await client.get(f"{night.url}/history", params={"format": "xml"}), 400, "validation-error")
    assert_envelope(await client.get(f"{night.url}/history", params={"format": "CSV" * 1000}), 400,
                    "validation-error")
    unknown = f"{SHOWS}/00000000-0000-4000-8000-000000000000"
    assert_envelope(await client.get(f"{unknown}/history", params={"format": "csv"}), 404, "not-found")
    assert_envelope(await client.get(f"{unknown}/performances"), 404, "not-found")
    assert_envelope(await client.get(f"{SHOWS}/not-a-show/performances"), 400, "validation-error")
    assert_envelope(await client.get(f"{SHOWS}/%F0%9F%8E%A4/history", params={"format": "csv"}), 400,
                    "validation-error")


async def test_readiness_names_each_projection_and_how_it_fares(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/readyz")
    assert answer.status_code == 200
    assert answer.json()["details"] == {"projections": {"performances": "ok"}}
