"""The ``karaoke`` command line, run as a real process against real databases."""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from karaoke.bootstrap import build
from karaoke.cli import lines_with_progress, local_url
from storage import migrate
from storage.db import create_engine
from tests.conftest import settings_for

REPO = Path(__file__).resolve().parents[2]
KARAFUN = REPO / "data" / "karafun-catalog-2022.csv"


def karaoke(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"KARAOKE_DATABASE_URL": db_url, "KARAOKE_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "karaoke.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=REPO)


def test_help_is_available_for_every_command() -> None:
    for args in ([], ["serve"], ["db"], ["db", "upgrade"], ["catalog"], ["catalog", "import"], ["catalog", "search"],
                 ["chat"], ["kj"], ["kj", "invite"]):
        result = karaoke("sqlite+aiosqlite:///:memory:", *args, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: karaoke" in result.stdout


def test_db_upgrade_brings_a_new_database_to_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    result = karaoke(url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    head = migrate.head_revision()
    assert head is not None and f"database at revision {head}; newest is {head}" in result.stdout


def test_a_csv_with_bad_rows_imports_the_good_ones_and_names_the_bad(db_url: str, tmp_path: Path) -> None:
    source = tmp_path / "songs.csv"
    source.write_text("title;artist;duration\nZombie;The Cranberries;306\n;Nobody;1\nAlive;Sia;-4\n"
                      "Écoute;Angèle;3:05\n", encoding="utf-8")
    first = karaoke(db_url, "catalog", "import", str(source))
    assert first.returncode == 0, first.stderr
    assert "added 2, updated 0, unchanged 0, rejected 2" in first.stdout
    assert "row 3: title must not be empty" in first.stdout
    assert "row 4: duration" in first.stdout
    again = karaoke(db_url, "catalog", "import", str(source))
    assert "added 0, updated 0, unchanged 2, rejected 2" in again.stdout


def test_a_missing_or_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    missing = karaoke(url, "catalog", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    headerless = tmp_path / "x.csv"
    headerless.write_text("just;some;words\n")
    result = karaoke(url, "catalog", "import", str(headerless))
    assert result.returncode == 1 and "title column" in result.stderr
    binary = tmp_path / "y.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01title,artist\n")
    result = karaoke(url, "catalog", "import", str(binary))
    assert result.returncode == 1 and "cannot import" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_media_folder_imports_once_with_a_custom_pattern(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    folder = tmp_path / "media"
    (folder / "Rock").mkdir(parents=True)
    for name in ["Queen - Bohemian Rhapsody.mp3", "Queen - Bohemian Rhapsody.cdg", "Rock/AC_DC - Thunderstruck.mp4",
                 "cover.jpg"]:
        (folder / name).write_bytes(b"")
    first = karaoke(url, "catalog", "import", str(folder))
    assert "added 2, updated 0, unchanged 0, rejected 0" in first.stdout, first.stdout + first.stderr
    again = karaoke(url, "catalog", "import", str(folder))
    assert "added 0, updated 0, unchanged 2, rejected 0" in again.stdout
    bad = karaoke(url, "catalog", "import", str(folder), "--pattern", "(?P<title>.+)")
    assert bad.returncode == 2 and "named groups" in bad.stderr
    swapped = karaoke(url, "catalog", "import", str(folder), "--pattern", r"^(?P<title>.+?) - (?P<artist>.+)$")
    assert "added 0, updated 2, unchanged 0, rejected 0" in swapped.stdout


@pytest.mark.slow
def test_the_real_karafun_catalog_imports_whole_and_idempotently(db_url: str) -> None:
    first = karaoke(db_url, "catalog", "import", str(KARAFUN))
    assert first.returncode == 0, first.stderr
    assert "added 47768, updated 0, unchanged 0, rejected 0" in first.stdout
    again = karaoke(db_url, "catalog", "import", str(KARAFUN))
    assert "added 0, updated 0, unchanged 47768, rejected 0" in again.stdout


def test_search_answers_one_query_or_a_batch_with_the_index_built_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    source = tmp_path / "songs.csv"
    source.write_text("title,artist\nBohemian Rhapsody,Queen\nSweet Caroline,Neil Diamond\nZombie,The Cranberries\n")
    assert karaoke(url, "catalog", "import", str(source)).returncode == 0
    table = karaoke(url, "catalog", "search", "bohemian rapsody")
    assert table.returncode == 0 and table.stdout.splitlines()[0].endswith("Bohemian Rhapsody — Queen")
    as_json = json.loads(karaoke(url, "catalog", "search", "sweet carolin", "--json", "--limit", "1").stdout)
    assert as_json["items"][0]["title"] == "Sweet Caroline" and len(as_json["items"]) == 1
    batch = tmp_path / "queries.txt"
    batch.write_text("zombi cranberries\n\nqueen\n" + "x" * 500 + "\n")
    lines = karaoke(url, "catalog", "search", "--batch", str(batch)).stdout.splitlines()
    answers = [json.loads(line) for line in lines]
    assert len(answers) == 4
    assert answers[0][0]["title"] == "Zombie" and answers[1] == [] and answers[3] == []
    assert answers[2][0]["artist"] == "Queen"
    refused = karaoke(url, "catalog", "search", "x", "--limit", "99")
    assert refused.returncode == 2 and "--limit" in refused.stderr


def test_the_import_progress_bar_passes_lines_through_and_stays_silent_off_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = [f"line {n}\n" for n in range(1000)]
    assert list(lines_with_progress(iter(lines), sum(len(x) for x in lines), label="Importing x")) == lines
    assert capsys.readouterr().err == ""


class _Running:
    """A ``karaoke`` process whose stdout is read line by line as it comes; stderr (the log) goes to a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str], *args: str, stdin: bool = False) -> None:
        self.log = tmp_path / "stderr.log"
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "karaoke.cli", *args], stdout=subprocess.PIPE, stderr=log,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, text=True, env=env, cwd=REPO,
            )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, predicate: Callable[[str], bool], within: float = 120) -> str:
        """The first line of stdout that ``predicate`` accepts; every line read so far is in ``seen``."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"no such line; stdout was {self.seen}; log:\n{self.log.read_text()}")

    def stop(self) -> str:
        """End the process as Ctrl-C would; returns its log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text()


def _env(**settings: str) -> dict[str, str]:
    # Only the settings given: a KARAOKE_* of the caller's environment must not reach the process.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARAOKE_") and k != "DATABASE_URL"}
    return env | {f"KARAOKE_{name.upper()}": value for name, value in settings.items()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


NOISE = ("Context impl", "Will assume", "Running job", "executed successfully")


def test_serve_says_it_is_up_only_once_it_answers_ready_and_says_what_it_does_meanwhile(tmp_path: Path) -> None:
    demo = tmp_path / "demo.csv"
    demo.write_text("title,artist\nBohemian Rhapsody,Queen\nZombie,The Cranberries\nSweet Caroline,Neil Diamond\n")
    port = _free_port()
    env = _env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", demo_catalog=str(demo), log_level="INFO")
    served = _Running(tmp_path, env, "serve", "--demo", "--port", str(port))
    try:
        up = served.until(lambda line: line.startswith("Karaoke is up"))
        # At the moment it says so, it is so: the address answers and /readyz says ready.
        assert (httpx.get(f"http://127.0.0.1:{port}/api/v1/readyz", timeout=5)).status_code == 200
        assert up == f"Karaoke is up: http://127.0.0.1:{port}/"
        front = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert front.status_code == 200 and "No show is open" in front.text
        before = "\n".join(served.seen)
        assert f"Loading the demo catalog from {demo}…" in before
        assert "added 3, updated 0, unchanged 0, rejected 0" in before
        assert "Building the search index of 3 songs…" in before
        assert "Admin token for this run" in before
        assert before.index("Loading the demo") < before.index("Building the search index") < before.index(
            "Karaoke is up")
        for _ in range(5):
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/readyz", timeout=5).status_code == 200
    finally:
        log = served.stop()
    assert "Running upgrade  -> 0001" in log  # a real upgrade still names what it ran at INFO
    assert not [line for line in log.splitlines() if any(noise in line for noise in NOISE)], log


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_chat_logs_what_happened_not_every_run_of_the_reminder_job(tmp_path: Path, level: str) -> None:
    # The reminder job runs at the safety net: every second here.
    env = _env(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", log_level=level, safety_net_seconds="1")
    chat = _Running(tmp_path, env, "chat", stdin=True)
    try:
        chat.until(lambda line: "Karaoke console" in line)
        time.sleep(3.5)
        assert chat.process.stdin is not None
        chat.process.stdin.close()
        chat.process.wait(20)
    finally:
        log = chat.stop()
    assert "Scheduler started" in log
    runs = [line for line in log.splitlines() if "Running job" in line or "executed successfully" in line]
    if level == "INFO":
        assert runs == [], runs
        assert "Context impl" not in log and "Will assume" not in log
    else:
        # Still there for whoever asks for DEBUG, and said as DEBUG.
        assert len(runs) >= 4 and all(" DEBUG apscheduler.executors.default: " in line for line in runs), runs


async def test_the_readiness_check_logs_nothing_at_info(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with build(settings_for(db_url), upgrade=False) as container:
        await container.search.build()
        for _ in range(3):
            assert await container.readiness_problem() is None
        assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
        caplog.set_level(logging.DEBUG)
        assert await migrate.is_at_head(container.engine)
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("alembic")]
    assert said and all(level == "DEBUG" for level, _ in said), said


async def test_an_upgrade_names_each_migration_it_runs_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    said = [r.getMessage() for r in caplog.records if r.name.startswith("alembic") and r.levelno == logging.INFO]
    assert said and all(message.startswith("Running upgrade") for message in said), said
    assert f"-> {migrate.head_revision()}," in said[-1]


@pytest.mark.parametrize(("host", "url"), [("127.0.0.1", "http://127.0.0.1:8000/"), ("0.0.0.0", "http://127.0.0.1:8000/"),
                                           ("::", "http://[::1]:8000/"), ("karaoke.local", "http://karaoke.local:8000/")])
def test_the_address_it_announces_is_one_a_browser_on_this_machine_opens(host: str, url: str) -> None:
    assert local_url(host, 8000) == url
