"""``karaoke serve`` refuses an admin token anyone could guess: blank, or shorter than 16 characters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.test_cli import REPO, _env, _free_port, _Running


def _serve(tmp_path: Path, token: str) -> subprocess.CompletedProcess[str]:
    env = _env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", admin_token=token)
    return subprocess.run([sys.executable, "-m", "karaoke.cli", "serve", "--port", str(_free_port())],
                          capture_output=True, text=True, env=env, timeout=60, cwd=REPO)


@pytest.mark.parametrize(("token", "says"), [
    ("a", "has 1 characters; it must have at least 16"),
    ("fifteen-chars-x", "has 15 characters; it must have at least 16"),
    ("   short   ", "has 5 characters"),  # spaces around a token do not make it longer
    (" ", "is set but blank"),
    ("", "is set but blank"),
])
def test_serve_refuses_a_weak_admin_token_and_says_why(tmp_path: Path, token: str, says: str) -> None:
    served = _serve(tmp_path, token)
    assert served.returncode == 2, served.stdout + served.stderr
    assert says in served.stderr and "KARAOKE_ADMIN_TOKEN" in served.stderr
    assert len(token.strip()) < 5 or token.strip() not in served.stderr  # the message never repeats the secret
    assert "Karaoke is up" not in served.stdout
    assert not (tmp_path / "k.db").exists()  # refused before anything was built


def test_serve_starts_with_a_sixteen_character_token(tmp_path: Path) -> None:
    port = _free_port()
    token = "sixteen-chars-ok"
    env = _env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", admin_token=token, log_level="WARNING")
    served = _Running(tmp_path, env, "serve", "--port", str(port))
    try:
        served.until(lambda line: line.startswith("Karaoke is up"))
        answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/shows", json={"name": "Friday"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 201
    finally:
        served.stop()
