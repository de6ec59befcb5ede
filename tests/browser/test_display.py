"""The venue screen in a real browser at 1920×1080: who sings, who is next, how to join; live."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI

from api.deps import StreamTiming
from tests.browser.support import ADMIN, Night, app_server, free_port, segno_modules, svg_modules
from tests.conftest import settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    # Only for annotations: without Playwright the module still imports and the fixture skips.
    from playwright.sync_api import Browser, Page, ViewportSize

FULL_HD: ViewportSize = {"width": 1920, "height": 1080}
HOSTILE = "<script>window.__pwned = 1</script>"


def _fits(page: Page) -> None:
    size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= FULL_HD["width"] and size[1] <= FULL_HD["height"], f"the page overflows: {size}"


def _font_px(page: Page, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


def test_the_screen_shows_who_sings_and_follows_an_advance_within_a_second(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Friday <b>Karaoke</b>")
        night.request("Ana", "Bohemian Rhapsody", "Queen")
        night.request("Ben", "Dancing Queen", "ABBA")
        night.request("<img src=x onerror=window.__pwned=2>", HOSTILE, "Hacker")
        for singer in ("Dee", "Eve", "Fay", "Gus"):
            night.request(singer, f"Song of {singer}")
        night.started()
        page = browser.new_page(bypass_csp=True, viewport=FULL_HD)
        try:
            page.goto(f"{url}/display/{night.code.lower()}")
            assert page.text_content("#show-name") == "Friday <b>Karaoke</b>"
            assert page.text_content("#now-singer") == "Ana"
            assert page.text_content("#now-title") == "Bohemian Rhapsody"
            assert page.text_content("#now-artist") == "Queen"
            assert _font_px(page, "#now-singer") >= 90
            assert page.text_content("#join-code") == night.code
            assert _font_px(page, "#join-code") >= 100
            rows = page.locator("#upcoming li")
            assert rows.count() == 5
            assert rows.nth(0).locator(".singer").text_content() == "Ben"
            assert rows.nth(1).locator(".title").text_content() == HOSTILE
            assert re.fullmatch(r"in ~\d+ min", rows.nth(0).locator(".eta").text_content() or "")
            assert page.evaluate("window.__pwned") is None
            assert page.locator(".qr-box").count() == 1  # no Telegram bot configured: the web join page's code alone
            assert page.locator(".qr-web").count() == 1
            page.wait_for_function("document.body.dataset.live === 'yes'", timeout=5000)
            _fits(page)
            page.screenshot(path=str(screenshots / "display.png"))

            night.kj("advance")
            began = time.monotonic()
            page.wait_for_function("document.getElementById('now-singer').textContent === 'Ben'", timeout=1000)
            assert time.monotonic() - began < 1.0
            assert page.text_content("#now-title") == "Dancing Queen"
            assert page.locator("#upcoming li").nth(0).locator(".title").text_content() == HOSTILE
            page.wait_for_function("document.getElementById('upcoming').children.length === 5", timeout=1000)
            assert page.evaluate("window.__pwned") is None
            _fits(page)
        finally:
            page.close()
            night.close()


def test_the_screen_keeps_to_the_code_when_the_stage_is_empty_and_404s_an_unknown_code(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Quiet Tuesday")
        page = browser.new_page(bypass_csp=True, viewport=FULL_HD)
        try:
            page.goto(f"{url}/display/{night.code}")
            assert page.is_visible("#idle") and not page.is_visible("#now")
            assert page.is_visible("#no-upcoming")
            page.screenshot(path=str(screenshots / "display-empty.png"))
            page.wait_for_function("document.body.dataset.live === 'yes'", timeout=5000)
            night.request("Ana", "Bohemian Rhapsody", "Queen")
            night.started()
            page.wait_for_function("document.getElementById('now-singer').textContent === 'Ana'", timeout=1000)

            missing = page.goto(f"{url}/display/NOPE9")
            assert missing is not None and missing.status == 404
            assert "No show here" in (page.text_content("h1") or "")
            page.screenshot(path=str(screenshots / "not-found.png"))
        finally:
            page.close()
            night.close()


def test_the_qr_code_on_the_screen_is_the_telegram_deep_link(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    def with_bot(app: FastAPI) -> None:
        app.state.telegram_username = "KaraokeNightBot"

    with app_server(settings_for(db_url), with_bot) as url:
        night = Night(url)
        night.request("Ana", "Bohemian Rhapsody", "Queen")
        night.started()
        page = browser.new_page(bypass_csp=True, viewport=FULL_HD)
        try:
            page.goto(f"{url}/display/{night.code}")
            svg = page.eval_on_selector(".qr-telegram svg", "e => e.outerHTML")
            expected = f"https://t.me/KaraokeNightBot?start={night.code}"
            served = svg_modules(svg)
            assert any(served == segno_modules(expected, level) for level in "LMQH"), "QR is not the deep link"
            assert all(served != segno_modules(f"https://t.me/KaraokeNightBot?start={night.code}X", level)
                       for level in "LMQH")
            box = page.locator(".qr-telegram svg").bounding_box()
            assert box is not None and box["width"] >= 300, "the QR code is too small to scan across a room"
            assert page.text_content("#join-code") == night.code
            _fits(page)
            page.screenshot(path=str(screenshots / "display-qr.png"))
        finally:
            page.close()
            night.close()


def test_the_screen_comes_back_by_itself_after_the_server_restarts(browser: Browser, db_url: str) -> None:
    def short_streams(app: FastAPI) -> None:
        # Streams end quickly so the first server can shut down while the screen is still connected.
        app.state.stream_timing = StreamTiming(max_seconds=1.0, retry_millis=300)

    port = free_port()
    page = browser.new_page(bypass_csp=True, viewport=FULL_HD)
    try:
        with app_server(settings_for(db_url), short_streams, port=port) as url:
            night = Night(url)
            night.request("Ana", "Bohemian Rhapsody", "Queen")
            night.request("Ben", "Dancing Queen", "ABBA")
            night.started()
            night.close()
            page.goto(f"{url}/display/{night.code}")
            page.wait_for_function("document.body.dataset.live === 'yes'", timeout=5000)
        page.wait_for_function("document.body.dataset.live === 'no'", timeout=5000)
        assert page.text_content("#now-singer") == "Ana"

        with app_server(settings_for(db_url), short_streams, port=port) as again:
            assert again == url
            night.http = httpx.Client(base_url=url, headers=ADMIN, timeout=10)
            night.kj("advance")
            page.wait_for_function("document.getElementById('now-singer').textContent === 'Ben'", timeout=5000)
            night.close()
    finally:
        page.close()
