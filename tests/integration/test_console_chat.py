"""``karaoke chat``: a whole small night typed into the console, against a real SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SONGS = (
    "title;artist;duration\n"
    "Bohemian Rhapsody;Queen;354\nDon't Stop Me Now;Queen;209\nZombie;The Cranberries;306\n"
    "Dreams;The Cranberries;271\nDreams;Fleetwood Mac;257\nWaterloo;ABBA;164\n"
)


def environment(url: str) -> dict[str, str]:
    return os.environ | {"KARAOKE_DATABASE_URL": url, "KARAOKE_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}


def seeded_database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'night.db'}"
    source = tmp_path / "songs.csv"
    source.write_text(SONGS, encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "karaoke.cli", "catalog", "import", str(source)],
                              capture_output=True, text=True, env=environment(url), cwd=REPO, timeout=120)
    assert "added 6" in imported.stdout, imported.stdout + imported.stderr
    return url


def turns(transcript: str) -> list[tuple[str, str]]:
    """(``who@where> input``, the bot's answer) for each input line, in order."""
    result: list[tuple[str, str]] = []
    for line in transcript.splitlines():
        if "> " in line and not line.startswith(" "):
            result.append((line, ""))
        elif result:
            result[-1] = (result[-1][0], (result[-1][1] + "\n" + line).strip())
    return result


def test_a_night_in_the_console(tmp_path: Path) -> None:
    url = seeded_database(tmp_path)
    console = subprocess.Popen([sys.executable, "-m", "karaoke.cli", "chat"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(url),
                               cwd=REPO)
    assert console.stdin is not None and console.stdout is not None
    try:
        console.stdin.write(":as kim\n:room bar\n/open Friday Night\n")
        console.stdin.flush()
        opening = []
        while not any("Join code:" in line for line in opening):
            line = console.stdout.readline()
            assert line, "the console ended early: " + "".join(opening)
            opening.append(line)
        code = "".join(opening).split("Join code: ")[1][:5]
        script = [
            ":as ann", ":room private", f"/join {code}", "/request bohemain rapsody",
            ":as bob", f"/start {code}", "/request dreams", ":press 2",
            ":as ann", ":room bar", "/next",
            ":as kim", "/next", "/queue", "/undo", "/queue", "/frobnicate", ":quit",
        ]
        rest, errors = console.communicate("\n".join(script) + "\n", timeout=120)
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()
    transcript = "".join(opening) + rest
    assert console.returncode == 0, errors
    assert "Traceback" not in transcript + errors
    expected = [
        ("ann@private> /join", "You're in “Friday Night”"),
        ("ann@private> /request bohemain rapsody", "Queued Bohemian Rhapsody — Queen. You're next"),
        ("bob@private> /start", "You're in “Friday Night”"),
        ("bob@private> /request dreams", "[2] Dreams — "),
        ("bob@private> :press 2", "Queued Dreams — "),
        ("ann@bar> /next", "Only the show's KJ can do that."),
        ("kim@bar> /next", "Now singing: Ann — Bohemian Rhapsody (Queen). Up next: Bob."),
        ("kim@bar> /queue", "1. Bob — Dreams"),
        ("kim@bar> /undo", "Undid the last /next."),
        ("kim@bar> /queue", "1. Ann — Bohemian Rhapsody (Queen) · next"),
        ("kim@bar> /frobnicate", "I don't know /frobnicate. Try /help."),
    ]
    played = turns(transcript)
    for said, answer in expected:
        index = next((i for i, (line, _) in enumerate(played) if line.startswith(said)), None)
        assert index is not None, f"{said!r} not in {transcript}"
        assert answer in played[index][1], f"{said!r}: expected {answer!r} in {played[index][1]!r}"
        played = played[index + 1 :]
    menu = dict(turns(transcript))["bob@private> /request dreams"]
    chosen = menu.split("[2] ")[1].splitlines()[0]
    assert f"Queued {chosen}. You're 2nd" in dict(turns(transcript))["bob@private> :press 2"]
