"""The singers' songbook on a phone (390×844): typo-tolerant search and the command to request a song."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.support import Night
from tests.conftest import settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    # Only for annotations: without Playwright the module still imports and the fixture skips.
    from playwright.sync_api import Browser, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}


def test_a_singer_finds_bohemian_rapsody_and_copies_the_request_command(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Songbook Night")
        for title, artist in [("Bohemian Rhapsody", "Queen"), ("Dancing Queen", "ABBA"),
                              ("Wonderwall", "Oasis"), ("<script>window.__pwned=1</script>", "Hacker")]:
            night.song(title, artist)
        context = browser.new_context(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True,
                                      permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        try:
            page.goto(f"{url}/songbook/{night.code.lower()}")
            assert f"/join {night.code}" in (page.text_content(".join") or "")
            page.fill("#q", "bohemian rapsody")
            first = page.locator("#results li").first
            first.wait_for(timeout=5000)
            assert first.locator(".song-title").text_content() == "Bohemian Rhapsody"
            assert first.locator(".song-artist").text_content() == "Queen"
            assert first.locator(".cmd").text_content() == "/request Bohemian Rhapsody Queen"
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"the page is wider than the phone: {width}"
            page.screenshot(path=str(screenshots / "songbook.png"))

            first.locator("button.copy").click()
            page.wait_for_function("document.querySelector('#results li button.copy').textContent === 'Copied!'",
                                   timeout=2000)
            assert page.evaluate("navigator.clipboard.readText()") == "/request Bohemian Rhapsody Queen"

            page.click(".platforms label:has-text('Slack')")
            assert first.locator(".cmd").text_content() == "/karaoke request Bohemian Rhapsody Queen"

            page.fill("#q", "script pwned")
            page.wait_for_function(
                "[...document.querySelectorAll('#results .song-title')].some(e => e.textContent.includes('<script>'))",
                timeout=5000,
            )
            assert page.evaluate("window.__pwned") is None
        finally:
            context.close()
            night.close()
