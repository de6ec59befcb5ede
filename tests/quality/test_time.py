"""Time is handed in: core and storage never read a clock, so the suite means the same on any day."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.python_source import parse_file

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"

# (module, attribute) pairs that read a clock: datetime.now(), time.time(), date.today(), ...
CLOCK_READS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("time", "time"), ("time", "time_ns"), ("time", "monotonic"), ("time", "monotonic_ns"),
    ("time", "perf_counter"), ("time", "perf_counter_ns"), ("time", "localtime"), ("time", "gmtime"),
}
TIME_NAMES = {name for module, name in CLOCK_READS if module == "time"}


def clock_reads(path: Path) -> list[str]:
    """Every place in ``path`` that reads a clock (called or passed on), as ``line: text``."""
    tree = parse_file(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in CLOCK_READS:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [f"{node.lineno}: from time import {a.name}" for a in node.names if a.name in TIME_NAMES]
    return found


PURE_FILES = sorted([*(REPO / "core").rglob("*.py"), *(REPO / "storage").rglob("*.py")])


@pytest.mark.parametrize("path", PURE_FILES, ids=[str(p.relative_to(REPO)) for p in PURE_FILES])
def test_core_and_storage_never_read_a_clock(path: Path) -> None:
    assert clock_reads(path) == [], "take a Clock (or a Monotonic) from the composition root instead"


def test_the_clock_check_would_catch_every_way_of_reading_the_time(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import time\nfrom datetime import datetime, date\nfrom time import monotonic\n"
        "a = datetime.now()\nb = time.time()\nc = date.today()\ndef f(clock=time.monotonic): ...\n"
        "d = now.replace(hour=1)\n"
    )
    assert sorted(clock_reads(bad)) == [
        "3: from time import monotonic", "4: datetime.now", "5: time.time", "6: date.today", "7: time.monotonic",
    ]


# The parts of the suite that store and compare times, run again with the machine's date moved (on SQLite:
# the outer run holds the PostgreSQL test database). The whole suite was run this way by hand as well.
SHIFTED = [
    "tests/unit",
    "tests/contracts",
    "tests/integration/test_delivery_sql.py",
    "tests/integration/test_notices_sql.py",
    "tests/integration/test_show_store.py",
]


@pytest.mark.slow
@pytest.mark.parametrize("shift", ["+365d", "-365d"])
def test_the_time_sensitive_tests_pass_a_year_ahead_and_a_year_back(shift: str) -> None:
    faketime = shutil.which("faketime")
    if faketime is None:
        message = "faketime is not installed (Debian package faketime)"
        if IN_CI:
            pytest.fail(message + " (CI=true: this check may not be skipped)")
        pytest.skip(message)
    # The inner run is a plain pytest run of its own, even when this one is a worker of a parallel run.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    result = subprocess.run(
        [faketime, "-f", shift, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "-k", "not postgresql", *SHIFTED],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
