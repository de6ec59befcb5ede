"""/history/{code} in a real Chromium at a phone's 390×844 and a wide 1920×1080: what was sung, by whom and when,
names whole and nothing scrolling sideways, kept live over the show's stream, names shown as text only."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from tests.browser.support import Night
from tests.browser.test_layouts import _no_sideways_scroll
from tests.browser.test_layouts import _whole as whole
from tests.conftest import settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}
WIDE: ViewportSize = {"width": 1920, "height": 1080}
LONG_NAME = "Maximiliana Fernández-Oyelaran de la Santísima Trinidad"
LONG_TITLE = "Don't Stop Me Now (Live at Wembley Stadium, 1986 — Remastered 2011 Edition)"
HOSTILE = "<img src=x onerror=window.__pwned=1>"
WAIT = 10_000


def _night(url: str) -> Night:
    night = Night(url, name="Friday Night Karaoke at the Blue Lagoon")
    night.request(LONG_NAME, LONG_TITLE, "Queen")
    night.request("陈伟霖", "月亮代表我的心", "鄧麗君")
    night.request(HOSTILE, "Wonderwall", "Oasis")
    night.request("Zoë", "Africa", "Toto")
    night.request("Gus", "Zombie", "The Cranberries")
    for _ in range(4):  # three sung, Zoë at the mic
        night.kj("advance")
    return night


def _whole(page: Page, selector: str) -> list[str]:
    """The texts of ``selector``, each shown whole inside the window (wrapped, never cut)."""
    return [box["text"] for box in whole(page, selector)]


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["390x844", "1920x1080"])
def test_the_history_page_shows_what_was_sung_and_follows_the_show_live(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        context = browser.new_context(bypass_csp=True, viewport=size, is_mobile=size == PHONE,
                                      has_touch=size == PHONE, timezone_id="Europe/Berlin", locale="de-DE")
        page = context.new_page()
        try:
            page.goto(f"{url}/history/{night.code.lower()}")
            page.wait_for_selector('body[data-live="yes"][data-version]', timeout=WAIT)
            # The latest first, each with who sang it; the one at the mic is not in the list yet.
            assert _whole(page, "#sung li .singer") == [HOSTILE, "陈伟霖", LONG_NAME]
            assert _whole(page, "#sung li .title") == ["Wonderwall", "月亮代表我的心", LONG_TITLE]
            assert page.text_content("#summary") == "3 songs by 3 singers"
            assert page.text_content("#now-singer") == "Zoë"
            assert page.evaluate("window.__pwned") is None
            # Written in UTC, shown on the reader's own clock (Berlin here).
            times = page.eval_on_selector_all("#sung time", "ns => ns.map(n => [n.dateTime, n.textContent])")
            berlin = ZoneInfo("Europe/Berlin")
            assert [shown for _, shown in times] == [
                datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(berlin).strftime("%H:%M")
                for at, _ in times]
            _whole(page, "h1")
            _no_sideways_scroll(page)
            if size == WIDE:
                columns = page.eval_on_selector("#sung",
                                                "e => getComputedStyle(e).gridTemplateColumns.split(' ').length")
                assert columns == 2
            page.screenshot(path=str(screenshots / f"history-{size['width']}.png"), full_page=size == PHONE)

            night.kj("advance")  # Zoë's Africa is sung: the page hears it over the stream
            page.wait_for_selector('body[data-sung="4"]', timeout=WAIT)
            assert page.text_content("#sung li:first-child .singer") == "Zoë"
            assert page.text_content("#now-singer") == "Gus"
            night.kj("undo")  # taken back: so is the row
            page.wait_for_selector('body[data-sung="3"]', timeout=WAIT)
            assert page.text_content("#sung li:first-child .singer") == HOSTILE

            night.kj("close")
            page.wait_for_selector('body[data-closed="yes"]', timeout=WAIT)
            assert page.is_visible("#ended") and not page.is_visible("#now")
            page.reload()
            assert page.text_content("#summary") == "3 songs by 3 singers"  # a closed show's history stays up
        finally:
            context.close()
            night.close()


def test_an_unknown_code_is_a_friendly_404_and_a_fresh_show_says_nothing_was_sung(
    browser: Browser, db_url: str
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Quiet Tuesday")
        page = browser.new_page(bypass_csp=True, viewport=PHONE)
        try:
            answer = page.goto(f"{url}/history/NOPE9")
            assert answer is not None and answer.status == 404
            assert page.is_visible(".page-message")
            answer = page.goto(f"{url}/history/{night.code}")
            assert answer is not None and answer.status == 200
            page.wait_for_selector('body[data-live="yes"][data-version]', timeout=WAIT)
            assert page.is_visible("#empty") and page.text_content("#summary") == "No songs yet"
            assert page.get_attribute("footer a", "href") == f"/api/v1/shows/{night.id}/history?format=csv"
        finally:
            page.close()
            night.close()
