"""The ``karaoke`` command line, run as a real process against real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from karaoke.cli import lines_with_progress
from storage import migrate

REPO = Path(__file__).resolve().parents[2]
KARAFUN = REPO / "data" / "karafun-catalog-2022.csv"


def karaoke(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"KARAOKE_DATABASE_URL": db_url, "KARAOKE_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "karaoke.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=REPO)


def test_help_is_available_for_every_command() -> None:
    for args in ([], ["serve"], ["db"], ["db", "upgrade"], ["catalog"], ["catalog", "import"], ["catalog", "search"],
                 ["chat"]):
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
