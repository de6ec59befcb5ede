"""``karaoke chat``: a whole small night typed into the console, against a real SQLite database."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
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
    prompt = ""
    for line in transcript.splitlines():
        if "> " in line and not line.startswith(" "):
            prompt = line.split("> ", 1)[0] + "> "
            result.append((line, ""))
        elif line.startswith(("/", ":")) and prompt:
            # A reminder printed while the console waited: the prompt stood alone and the input follows it.
            result.append((prompt + line, ""))
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
        opening: list[str] = []
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


def test_a_console_singers_reminders_are_printed_into_the_console(tmp_path: Path) -> None:
    url = seeded_database(tmp_path)
    console = subprocess.Popen([sys.executable, "-m", "karaoke.cli", "chat"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(url),
                               cwd=REPO)
    assert console.stdin is not None and console.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    output = console.stdout
    def pump() -> None:
        for line in output:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []

    def say(*script: str) -> None:
        assert console.stdin is not None
        console.stdin.write("".join(line + "\n" for line in script))
        console.stdin.flush()

    def wait_for(*phrases: str) -> list[str]:
        """The first line holding each of ``phrases``, read from now on in any order (reminders come on their own)."""
        found: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while len(found) < len(phrases) and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(line)
            found |= {phrase: line for phrase in phrases if phrase in line and phrase not in found}
        missing = [phrase for phrase in phrases if phrase not in found]
        assert not missing, f"{missing} never came: {''.join(seen)}"
        return [found[phrase] for phrase in phrases]

    try:
        say(":as kim", ":room bar", "/open Friday Night")
        [opened] = wait_for("Join code:")
        code = opened.split("Join code: ")[1][:5]
        say(":as ann", ":room private", f"/join {code}", "/request waterloo")
        wait_for("Queued Waterloo")
        say(":as bob", f"/join {code}", "/request zombie")
        wait_for("Queued Zombie")
        say(":as kim", ":room bar", "/next")
        wait_for("Now singing: Ann — Waterloo (ABBA). Up next: Bob.")
        # Nobody asked: the reminders arrive by themselves, to each singer by name, with their buttons.
        up, called, button = wait_for("  bot → Ann: You're up now", "  bot → Bob: You're next",
                                      "] On my way (press as Bob)")
        assert up == "  bot → Ann: You're up now: Waterloo — ABBA! Head to the stage.\n"
        assert called == ("  bot → Bob: You're next: Zombie — The Cranberries, about 4 min. "
                          "Please make your way to the stage.\n")
        say(":as bob", f":press {button.split('[')[1].split(']')[0]}")
        wait_for("Great, see you at the stage!")
        say(":quit")
        console.wait(timeout=60)
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()
    assert console.returncode == 0
    transcript = "".join(seen)
    assert "Traceback" not in transcript
    assert transcript.count("bot → Ann: You're up now") == 1 and transcript.count("bot → Bob: You're next") == 1


def test_the_version_singers_picked_comes_first_after_a_restart(tmp_path: Path) -> None:
    """The service reads this venue's picks from the show log: a restarted console offers first the
    version of 'Dreams' a singer chose the night before, whichever order the catalog alone gave."""
    url = seeded_database(tmp_path)

    def session(*script: str) -> str:
        done = subprocess.run([sys.executable, "-m", "karaoke.cli", "chat"], input="\n".join(script) + "\n",
                              capture_output=True, text=True, env=environment(url), cwd=REPO, timeout=120)
        assert done.returncode == 0 and "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
        return done.stdout

    before = session(":as ann", ":room private", "/search dreams", ":quit")
    said = [line.strip().removeprefix("bot: ") for line in before.splitlines()]
    order = [line.split(". ", 1)[1] for line in said if line.startswith(("1. ", "2. "))]
    assert len(order) == 2 and all(song.startswith("Dreams — ") for song in order), before
    opened = session(":as kim", ":room bar", "/open Friday Night", ":quit")
    code = opened.split("Join code: ")[1][:5]
    picked = session(":as ann", ":room private", f"/join {code}", "/request dreams", ":press 2", ":quit")
    assert f"Queued {order[1]}" in picked, picked
    after = session(":as cat", ":room private", "/search dreams", ":quit")
    assert f"1. {order[1]}" in after and f"2. {order[0]}" in after, after
