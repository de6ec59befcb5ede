"""``KARAOKE_LOG_FORMAT=json``: the real service writes one JSON object per log line, and every line written
while answering a request carries that request's id (the caller's ``X-Request-ID`` when sane, else a new one,
echoed in the response)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.test_cli import _env, _free_port, _Running


def test_json_logs_carry_time_level_logger_message_and_the_request_id(tmp_path: Path) -> None:
    demo = tmp_path / "demo.csv"
    demo.write_text("title,artist\nBohemian Rhapsody,Queen\nZombie,The Cranberries\n")
    port = _free_port()
    env = _env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", demo_catalog=str(demo), log_level="INFO",
               log_format="json")
    served = _Running(tmp_path, env, "serve", "--demo", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        served.until(lambda line: line.startswith("Karaoke is up"))
        given = httpx.get(f"{base}/api/v1/songs", headers={"X-Request-ID": "req-7.abc:1"}, timeout=5)
        made = httpx.get(f"{base}/api/v1/healthz", timeout=5)
        refused = httpx.get(f"{base}/api/v1/healthz", headers={"X-Request-ID": "has spaces and \"quotes\""},
                            timeout=5)
        missing = httpx.get(f"{base}/api/v1/songs/not-a-song", headers={"X-Request-ID": "lost-1"}, timeout=5)
    finally:
        log = served.stop()
    assert given.headers["x-request-id"] == "req-7.abc:1"
    made_id = made.headers["x-request-id"]
    refused_id = refused.headers["x-request-id"]
    assert len(made_id) == 32 and len(refused_id) == 32 and made_id != refused_id
    assert missing.status_code in (400, 404) and missing.headers["x-request-id"] == "lost-1"

    lines = [line for line in log.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON, uvicorn's own included
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        assert record["time"].endswith("Z") and "T" in record["time"]
    by_id = {r.get("request_id"): r for r in records if r["logger"] == "uvicorn.access"}
    assert "GET /api/v1/songs HTTP/1.1" in by_id["req-7.abc:1"]["message"]
    assert "/api/v1/healthz" in by_id[made_id]["message"] and "/api/v1/healthz" in by_id[refused_id]["message"]
    assert "lost-1" in by_id
    # Lines written outside a request carry no id.
    assert any(r["message"].startswith("search index ready") and "request_id" not in r for r in records)
