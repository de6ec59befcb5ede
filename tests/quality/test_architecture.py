"""The shape of the tree: core stays pure, nothing is built at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.python_source import parse_file

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = {
    "telegram", "slack_bolt", "slack_sdk", "fastapi", "starlette", "sqlalchemy", "apscheduler", "alembic",
    "uvicorn", "httpx", "aiohttp", "asyncpg", "aiosqlite", "pydantic", "pydantic_settings",
    "bots", "storage", "api", "karaoke",
}


def imported_roots(path: Path) -> set[str]:
    tree = parse_file(path)
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


CORE_FILES = sorted((REPO / "core").rglob("*.py"))
# Arrows point inward: the edges know core and nothing of each other; only karaoke/ knows everything.
EDGE_RULES = {
    "api": {"storage", "bots", "karaoke"},
    "bots": {"api", "storage", "karaoke"},
    "storage": {"api", "bots", "karaoke"},
}
EDGE_FILES = [(edge, path) for edge in EDGE_RULES for path in sorted((REPO / edge).rglob("*.py"))]


@pytest.mark.parametrize("path", CORE_FILES, ids=[str(p.relative_to(REPO)) for p in CORE_FILES])
def test_core_imports_no_platform_framework_orm_or_adapter(path: Path) -> None:
    assert not imported_roots(path) & FORBIDDEN_IN_CORE


@pytest.mark.parametrize(("edge", "path"), EDGE_FILES, ids=[str(p.relative_to(REPO)) for _, p in EDGE_FILES])
def test_each_edge_depends_only_inward(edge: str, path: Path) -> None:
    # Type-checking-only imports count too: they are a dependency all the same.
    assert not imported_roots(path) & EDGE_RULES[edge]


def test_importing_an_edge_loads_no_other_edge() -> None:
    for edge, forbidden in EDGE_RULES.items():
        modules = sorted(
            p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
            for p in (REPO / edge).rglob("*.py") if "migrations" not in p.parts
        )
        code = (
            "import sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(forbidden)!r})))\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
        assert result.stdout.strip() == "", f"importing {edge} loaded {result.stdout.strip()}"


def test_the_import_check_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom sqlalchemy.orm import Session\nfrom .x import y\n")
    assert imported_roots(bad) & FORBIDDEN_IN_CORE == {"sqlalchemy"}


def test_importing_core_loads_none_of_them_even_indirectly() -> None:
    modules = [p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".") for p in CORE_FILES]
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN_IN_CORE)!r})\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == ""


def test_importing_every_package_opens_nothing_and_reads_no_settings() -> None:
    # Settings come from the environment only when the composition root asks; a bogus URL proves nothing
    # connects at import time.
    code = (
        "import os\nos.environ['KARAOKE_DATABASE_URL']='postgresql+asyncpg://nobody@127.0.0.1:1/none'\n"
        "import api.app, karaoke.cli, karaoke.bootstrap, storage.songs, storage.migrate, bots\n"
        "import gc, sqlalchemy.ext.asyncio as a\n"
        "print(sum(isinstance(o, a.AsyncEngine) for o in gc.get_objects()))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
