"""Limits before work: a body over the limit is refused while it streams, before the token is checked or a
byte is parsed; JSON nests at most 400 deep; every answer carries the security headers.

The memory test runs the real service as its own process on loopback and measures its RSS.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from api.app import create_app
from api.limits import DEFAULT_MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth_ok
from karaoke.bootstrap import Container
from tests.raw_http import Served, read_status, served

MiB = 1024 * 1024


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        (nested(MAX_JSON_DEPTH), True),
        (nested(MAX_JSON_DEPTH + 1), False),
        (b'{"a":' * 300 + b"[" * 100 + b"1" + b"]" * 100 + b"}" * 300, True),
        (b'{"a":' * 300 + b"[" * 101 + b"1" + b"]" * 101 + b"}" * 300, False),
        # Brackets inside strings are text, escaped quotes included.
        (json.dumps(["[" * 5000, '\\"[[[' * 1000, {"k{{{": "]]]"}]).encode(), True),
        (b"[" * 10 + b'"unterminated [[[[' + b"[" * 500, True),
        (b'[1, 2, {"a": [3, 4]}, [[5]]]' * 10000, True),
        (b"", True),
    ],
)
def test_json_nesting_is_measured_without_recursion(raw: bytes, ok: bool) -> None:
    assert json_depth_ok(raw) is ok


@pytest.mark.parametrize(
    "hostile",
    [
        nested(DEFAULT_MAX_BODY_BYTES // 2),
        b"[]" * (DEFAULT_MAX_BODY_BYTES // 2),
        b'"' + b'\\"' * (DEFAULT_MAX_BODY_BYTES // 2),  # an unterminated string full of escaped quotes
        b'\\"' * (DEFAULT_MAX_BODY_BYTES // 2),
    ],
)
def test_json_nesting_check_of_a_hostile_megabyte_takes_milliseconds(hostile: bytes) -> None:
    began = time.perf_counter()
    json_depth_ok(hostile)
    assert time.perf_counter() - began < 0.5


def _is_envelope(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


@pytest.mark.parametrize("path", ["/api/v1/shows", "/slack/events", "/telegram/some-secret", "/nowhere"])
async def test_a_declared_length_over_the_limit_is_refused_before_auth_or_routing(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.post(path, content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1),
                               headers={"Content-Type": "application/json"})
    _is_envelope(answer, 413, "too-large")
    assert answer.headers["connection"] == "close"


async def test_a_body_at_the_limit_goes_on_to_auth(client: httpx.AsyncClient) -> None:
    body = json.dumps({"name": "x" * (DEFAULT_MAX_BODY_BYTES - 20)}).encode()
    assert len(body) <= DEFAULT_MAX_BODY_BYTES
    _is_envelope(await client.post("/api/v1/shows", content=body), 401, "unauthorized")


async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    chunk = b"x" * 65536
    produced = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal produced
        while produced < 100 * MiB:
            produced += len(chunk)
            yield chunk

    answer = await client.post("/api/v1/shows", content=endless(), headers=admin)
    _is_envelope(answer, 413, "too-large")
    # Read no further than the chunk that crossed the limit (the transport may have one more ready).
    assert produced <= DEFAULT_MAX_BODY_BYTES + 2 * len(chunk)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 100_000])
async def test_deeply_nested_json_is_a_400_with_the_envelope(
    client: httpx.AsyncClient, admin: dict[str, str], depth: int
) -> None:
    body = b'{"name": "Deep", "extra": ' + nested(depth) + b"}"
    answer = await client.post("/api/v1/shows", content=body, headers={**admin, "Content-Type": "application/json"})
    _is_envelope(answer, 400, "validation-error")
    assert str(MAX_JSON_DEPTH) in answer.json()["error"]["message"]


async def test_json_within_the_depth_limit_still_works(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    answer = await client.post("/api/v1/shows", json={"name": "Shallow"}, headers=admin)
    assert answer.status_code == 201, answer.text


SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


def _policy(answer: httpx.Response) -> dict[str, str]:
    for name, value in SECURITY.items():
        assert answer.headers.get(name) == value, (answer.url, name)
    policy = answer.headers["content-security-policy"]
    return {d.split()[0]: d.strip() for d in policy.split(";") if d.strip()}


async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    show = (await client.post("/api/v1/shows", json={"name": "Headers"}, headers=admin)).json()
    answers = [
        await client.get("/api/v1/healthz"),
        await client.get("/api/v1/shows"),
        await client.get("/api/v1/nope"),
        await client.post("/api/v1/shows", json={"name": "x"}),
        await client.post("/api/v1/shows", content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1)),
        await client.get("/"),
        await client.get(f"/display/{show['code']}"),
        await client.get(f"/songbook/{show['code']}"),
        await client.get(f"/kj/{show['code']}"),
        await client.get("/display/NOPE9"),
        await client.get("/static/display.js"),
    ]
    for answer in answers:
        policy = _policy(answer)
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["script-src"] == "script-src 'self'"
        assert "unsafe" not in answer.headers["content-security-policy"]


async def test_even_an_unexpected_500_carries_the_security_headers(container: Container) -> None:
    failing = APIRouter()

    @failing.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    transport = httpx.ASGITransport(app=create_app(container, [failing]), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.get("/boom")
    _is_envelope(answer, 500, "internal-error")
    assert _policy(answer)["frame-ancestors"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_docs_keep_their_own_policy_and_may_not_be_framed(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 200
    policy = _policy(answer)
    assert policy["default-src"].startswith("default-src 'self'")
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert answer.headers.get_list("content-security-policy") == [answer.headers["content-security-policy"]]


async def test_pages_have_no_inline_script_and_load_versioned_static_files(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    show = (await client.post("/api/v1/shows", json={"name": "Static"}, headers=admin)).json()
    token = admin["Authorization"].removeprefix("Bearer ")
    assert (await client.post(f"/kj/{show['code']}/login", data={"token": token})).status_code == 303
    for path in ["/", f"/display/{show['code']}", f"/songbook/{show['code']}", f"/kj/{show['code']}", "/display/NOPE9"]:
        html = (await client.get(path)).text
        assert "<script" in html or path in ("/", "/display/NOPE9"), path
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert 'type="application/json"' in tag or re.search(r'src="/static/[\w.-]+\?v=[0-9a-f]{12}"', tag), tag
        assert "<style" not in html and not re.search(r"\s(style|on[a-z]+)=", html)
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            answer = await client.get(asset)
            assert answer.status_code == 200, asset
            assert answer.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")


# The real service on loopback, its memory measured from /proc while four clients send 100 MB each.

UPLOAD = 100 * 1000 * 1000


async def _upload(port: int, *, chunked: bool) -> tuple[int, float]:
    """POST 100 MB (declared, or chunked) without a token; the status and how long until it arrived."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {UPLOAD}".encode()
    writer.write(b"POST /api/v1/shows HTTP/1.1\r\nHost: karaoke\r\nContent-Type: application/json\r\n"
                 + framing + b"\r\n\r\n")
    began = time.monotonic()
    answer = asyncio.create_task(read_status(reader))
    piece = b"x" * 65536
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    sent = 0
    try:
        while sent < UPLOAD and not answer.done():
            writer.write(frame)
            await writer.drain()
            sent += len(piece)
    except ConnectionError:
        pass  # the server answered and closed; the answer was read meanwhile
    status, _ = await asyncio.wait_for(answer, 30)
    elapsed = time.monotonic() - began
    writer.close()
    return status, elapsed


async def _peak_rss(service: Served, stop: asyncio.Event) -> int:
    peak = 0
    while not stop.is_set():
        peak = max(peak, service.rss_bytes())
        await asyncio.sleep(0.01)
    return max(peak, service.rss_bytes())


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_four_100_mb_uploads_get_413_at_once_and_memory_stays_flat(
    sqlite_template: Path, tmp_path: Path, chunked: bool
) -> None:
    database = tmp_path / "karaoke.db"
    database.write_bytes(sqlite_template.read_bytes())
    async with served(f"sqlite+aiosqlite:///{database}", tmp_path / "serve.log") as service:
        async with httpx.AsyncClient(base_url=service.url) as http:
            for _ in range(5):  # warm every lazy import of the request path before measuring idle
                await http.post("/api/v1/shows", json={"name": "x"})
                await http.get("/api/v1/shows")
        await asyncio.sleep(0.2)
        idle = service.rss_bytes()
        stop = asyncio.Event()
        sampling = asyncio.create_task(_peak_rss(service, stop))
        began = time.monotonic()
        results = await asyncio.wait_for(
            asyncio.gather(*(_upload(service.port, chunked=chunked) for _ in range(4))), 60
        )
        stop.set()
        peak = await sampling
        took = time.monotonic() - began
        print(f"idle RSS {idle / MiB:.1f} MiB, peak {peak / MiB:.1f} MiB; answers {results} in {took:.2f} s")
        assert [status for status, _ in results] == [413] * 4
        assert all(elapsed < 5 for _, elapsed in results), results
        assert peak - idle < 50 * MiB
        async with httpx.AsyncClient(base_url=service.url) as http:
            assert (await http.get("/api/v1/healthz")).status_code == 200
