"""The OpenAPI schema says what validation does: what it calls valid is accepted, and what it calls invalid is not.

The patterns in the schema are checked against the validators character by character; the API is asked
the questions schemathesis found it answering against its own schema (ST202: a schema-valid request
refused; ST205: an ``Allow`` header naming other methods than the schema).
"""

from __future__ import annotations

import re
import sys
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema_rs import Draft202012Validator

from api.schemas import NO_CONTROL_PATTERN, NOT_BLANK_PATTERN, name_pattern
from core.catalog import CatalogError, checked_text, has_control_characters

SONGS = "/api/v1/songs"
SHOWS = "/api/v1/shows"


def accepted(text: str, maximum: int = 200) -> bool:
    try:
        checked_text("name", text, maximum=maximum)
    except CatalogError:
        return False
    return True


def test_the_name_pattern_agrees_with_the_validator_on_every_character() -> None:
    pattern = re.compile(name_pattern(200))
    disagree = [
        (hex(code), text) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xF8FF
        for text in (chr(code), f"a{chr(code)}", f"{chr(code)} b", f"  {chr(code)}\t")
        if bool(pattern.search(text)) != accepted(text)
    ]
    assert disagree == []


@pytest.mark.parametrize(("text", "ok"), [
    ("a" * 200, True), ("a" * 201, False), ("  " + "é" * 200 + "  ", True), ("a b" * 66 + "ab", True),
    ("a b" * 67, False), ("a" + " \t\n " * 100 + "b", True), ("", False), (" \u3000 ", False), ("\u200b", True),
    ("a\x00b", False), ("a\x85b", True),
])
def test_the_name_pattern_counts_length_after_trimming_and_collapsing(text: str, ok: bool) -> None:
    assert bool(re.search(name_pattern(200), text)) is ok is accepted(text)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(name_pattern(40)))
def test_whatever_the_name_pattern_generates_the_validator_takes(text: str) -> None:
    assert accepted(text, 40)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_the_patterns_refuse_what_the_validators_refuse(text: str) -> None:
    assert bool(re.search(name_pattern(200), text)) is accepted(text)
    assert bool(re.search(NO_CONTROL_PATTERN, text)) is not has_control_characters(text)
    assert bool(re.search(NOT_BLANK_PATTERN, text)) is bool(text.strip())


SCHEMA_VALID: list[tuple[str, str, dict[str, Any]]] = [
    ("a whole number written 8.0", "POST", {"path": SHOWS, "json": {"name": "Fri", "settings": {
        "idle_close_hours": 8.0, "no_show_timeout_seconds": 244.0}}}),
    ("a song year written 1999.0", "POST", {"path": SONGS, "json": {"title": "A", "artist": "B", "year": 1999.0,
                                                                    "duration": 200.0}}),
]


@pytest.mark.parametrize(("method", "request_"), [(m, r) for _, m, r in SCHEMA_VALID],
                         ids=[i for i, _, _ in SCHEMA_VALID])
async def test_a_request_the_schema_calls_valid_is_accepted(
        client: httpx.AsyncClient, admin: dict[str, str], method: str, request_: dict[str, Any]) -> None:
    answer = await client.request(method, request_["path"], json=request_["json"], headers=admin)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("body", [{"position": 2.5}, {"position": "2"}, {"position": True}])
async def test_numbers_that_are_not_whole_are_still_refused(
        client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]) -> None:
    show = (await client.post(SHOWS, json={"name": "Fri"}, headers=admin)).json()
    answer = await client.post(f"{SHOWS}/{show['show_id']}/requests/00000000-0000-0000-0000-000000000000/move",
                               json=body, headers=admin)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation-error"


@pytest.mark.parametrize(("singer", "valid"), [
    ({"name": "Ann", "platform": "telegram"}, False), ({"name": "Ann", "user_id": "5"}, False),
    ({"name": "Ann", "platform": "telegram", "user_id": None}, False), ({"name": "Ann"}, True),
    ({"name": "Ann", "platform": None, "user_id": None}, True),
    ({"name": "Ann", "platform": "t", "user_id": "5"}, True),
])
async def test_the_schema_says_platform_and_user_id_come_together(
        client: httpx.AsyncClient, admin: dict[str, str], singer: dict[str, Any], valid: bool) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["SingerBody"]
    assert Draft202012Validator(schema).is_valid(singer) is valid
    show = (await client.post(SHOWS, json={"name": "Fri"}, headers=admin)).json()
    answer = await client.post(f"{SHOWS}/{show['show_id']}/requests", headers=admin, json={
        "singer": singer, "song_id": "00000000-0000-0000-0000-000000000000"})
    # A valid singer gets as far as the song (there is none); an invalid one is refused first.
    assert answer.status_code == (404 if valid else 400), answer.text


@pytest.mark.parametrize(("path", "allowed"), [
    (SONGS, "GET, HEAD, POST"),
    (f"{SONGS}/00000000-0000-0000-0000-000000000000", "DELETE, GET, HEAD, PATCH"),
    (f"{SHOWS}/00000000-0000-0000-0000-000000000000", "GET, HEAD, PATCH"),
    (f"{SONGS}/search", "GET, HEAD"),
])
async def test_a_method_the_path_does_not_take_is_405_naming_every_method_it_does(
        client: httpx.AsyncClient, path: str, allowed: str) -> None:
    for method in ("OPTIONS", "PUT", "TRACE") + (("PATCH", "DELETE", "POST") if path.endswith("search") else ()):
        answer = await client.request(method, path)
        assert answer.status_code == 405, (method, answer.text)
        assert answer.headers["allow"] == allowed
        assert answer.json()["error"]["code"] == "method-not-allowed"


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("GET", "/api/v1/nope"),
                                              ("POST", "/api/v1/songs/x/y"), ("GET", "/api/v1/shows/not-a-uuid")])
async def test_every_4xx_of_the_app_is_the_envelope(client: httpx.AsyncClient, method: str, path: str) -> None:
    answer = await client.request(method, path)
    assert 400 <= answer.status_code < 500
    assert set(answer.json()) == {"error"} and {"code", "message"} <= set(answer.json()["error"])


async def test_a_move_past_the_end_of_the_line_is_a_conflict_with_the_show_not_bad_input(
        client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    song = (await client.post(SONGS, json={"title": "Zombie", "artist": "The Cranberries"}, headers=admin)).json()
    show = (await client.post(SHOWS, json={"name": "Fri"}, headers=admin)).json()
    request = (await client.post(f"{SHOWS}/{show['show_id']}/requests", headers=admin, json={
        "singer": {"name": "Ann"}, "song_id": song["song_id"]})).json()
    # The schema allows positions 1..10000; how long this show's line is, only the show knows.
    answer = await client.post(f"{SHOWS}/{show['show_id']}/requests/{request['request_id']}/move",
                               json={"position": 10_000}, headers=admin)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "invalid", answer.text
