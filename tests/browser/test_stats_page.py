"""The stats page in a real browser under its strict content policy: behind the KJ login, the night's numbers and
bar charts drawn on the server as SVG, readable on a phone (390x844) and a wide screen (1920x1080); and the
songbook's "Popular here", a song pressed looked up for its request command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.browser.support import ADMIN, Night
from tests.browser.test_content_policy import RECORD_VIOLATIONS, _violations, _watched
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

WAIT = 10_000
PHONE: ViewportSize = {"width": 390, "height": 844}
WIDE: ViewportSize = {"width": 1920, "height": 1080}
LONG = "Ein ganz besonders langer Liedtitel, der auf keinen Telefonbildschirm in eine Zeile passt"


def _night(url: str) -> Night:
    night = Night(url, name="Stats Night")
    for singer, title, artist in [("Ana", "Bohemian Rhapsody", "Queen"), ("李小龍", "上を向いて歩こう", "坂本九"),
                                  ("Cy", LONG, "Die Ärzte"), ("Dee", "Africa", "Toto"),
                                  ("Ana", "Dancing Queen", "ABBA")]:
        night.request(singer, title, artist)
    for _ in range(6):
        night.kj("advance")
    return night


def _stats(url: str) -> dict[str, Any]:
    """The API's answer once the background projection has summed the night up."""
    deadline = time.monotonic() + 10
    while True:
        answer: dict[str, Any] = httpx.get(f"{url}/api/v1/stats", headers=ADMIN, timeout=5).json()
        if answer["performances"] >= 5 or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def _said(complaints: list[str]) -> list[str]:
    # The browser's own favicon request is answered 404 (no request of the page's is), which the console notes.
    return [c for c in complaints if "status of 404" not in c]


def _no_sideways_scroll(page: Page) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page scrolls sideways: {scroll} > {inner}"


def test_the_stats_page_draws_the_nights_charts_for_a_logged_in_kj(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        stats = _stats(url)
        assert (stats["performances"], stats["singers"]) == (5, 4)
        for size, name in ((PHONE, "stats-390.png"), (WIDE, "stats-1920.png")):
            context = browser.new_context(viewport=size)
            context.add_init_script(RECORD_VIOLATIONS)
            page, complaints = _watched(context)
            try:
                page.goto(f"{url}/stats")
                page.wait_for_selector("#token", timeout=WAIT)
                page.fill("#token", ADMIN_TOKEN)
                page.click("button[type=submit]")
                page.wait_for_selector("#top-songs svg.chart", timeout=WAIT)
                assert page.text_content("#n-performances") == "5"
                assert page.text_content("#n-singers") == "4"
                assert page.text_content("#n-shows") == "1"
                assert page.locator("#top-songs svg rect.bar").count() == 5
                assert page.locator("#top-singers svg rect.bar").count() == 4
                assert page.locator("#busiest-hours svg rect.bar").count() == 24
                singers = page.locator("#top-singers svg text.label").all_text_contents()
                assert singers[0] == "Ana" and "李小龍" in singers
                labels = page.locator("#top-songs svg text.label").all_text_contents()
                assert any(label.endswith("…") and label.startswith("Ein ganz") for label in labels)
                # Every bar's label and count stay inside the chart.
                boxes = page.evaluate("""() => [...document.querySelectorAll('svg.chart')].map(svg => {
                    const box = svg.getBoundingClientRect();
                    return [...svg.querySelectorAll('text')].every(t => {
                        const r = t.getBoundingClientRect();
                        return r.left >= box.left - 1 && r.right <= box.right + 1; }); })""")
                assert all(boxes), boxes
                _no_sideways_scroll(page)
                font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('svg.chart text.label'))"
                                     ".fontSize)")
                assert font >= 14
                page.screenshot(path=str(screenshots / name), full_page=True)
                assert _violations(page) == [] and _said(complaints) == []
                # A window: the night is in it or not; a bad one is said plainly, with a 400.
                page.goto(f"{url}/stats?from=2001-01-01&to=2001-12-31")
                assert page.text_content("#n-performances") == "0"
                assert page.is_visible("#top-songs p.muted")
                answer = page.goto(f"{url}/stats?from=2026-12-01&to=2026-11-01")
                assert answer is not None and answer.status == 400
                assert "comes after" in (page.text_content("#stats-error") or "")
                page.click("form.logout button")
                page.wait_for_selector("#token", timeout=WAIT)
            finally:
                context.close()
        stranger = httpx.get(f"{url}/stats", timeout=5)
        assert stranger.status_code == 200 and 'id="token"' in stranger.text and "Ana" not in stranger.text
        night.close()


def test_the_songbook_shows_the_songs_popular_here_and_looks_one_up(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        _stats(url)
        context = browser.new_context(viewport=PHONE)
        context.add_init_script(RECORD_VIOLATIONS)
        page, complaints = _watched(context)
        try:
            page.goto(f"{url}/songbook/{night.code}")
            page.wait_for_selector("#popular li", timeout=WAIT)
            assert page.text_content("#popular h2") == "Popular here"
            assert page.locator("#popular li").count() == 5
            page.click("#popular button:has-text('Africa')")
            page.wait_for_selector("#results li .cmd:has-text('/request Africa Toto')", timeout=WAIT)
            assert page.input_value("#q") == "Africa Toto"
            _no_sideways_scroll(page)
            page.screenshot(path=str(screenshots / "songbook-popular-390.png"), full_page=True)
            assert _violations(page) == [] and _said(complaints) == []
        finally:
            context.close()
            night.close()
