"""A real headless Chromium (Debian's) driven by Playwright; skipped without one, except in CI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.support import SCREENSHOTS
from tests.conftest import IN_CI

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return "Debian's chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture
def browser(db_url: str) -> Iterator[Browser]:
    """A Chromium for one test, on each database. Never ``playwright install``: we use the system's browser.

    The tests open their pages with ``bypass_csp=True``: Playwright's ``wait_for_function`` evaluates its
    predicate with ``eval`` inside the page, which the pages' content policy forbids (as it should);
    ``test_content_policy`` opens every page under the policy and checks that nothing is refused.

    It depends on ``db_url`` so the database is made ready first: Playwright's sync API keeps an event
    loop running in this thread, and the database fixtures use ``asyncio.run``, which refuses that.
    """
    reason = _missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(reason + " (CI=true: the browser tests may not be skipped)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
