"""The KJ dashboard's walk-in form in a real Chromium, at a phone's and a wall's size: a name and a song found as
you type add a singer without a phone, through the admin API and the chat's ``/add`` path (a walk-in person, or
the show's singer who goes by that name)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.support import Night
from tests.browser.test_kj_dashboard import _in_line, _log_in, _until
from tests.browser.test_layouts import SIZES, _in_reach, _no_sideways_scroll, _tag, _whole
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

WAIT = 10_000
NAME = "María José Fernández-Oyelaran"
# The first result's Add button of the newest search (the last search's stay until the new ones come).
FRESH_ADD = "#w-results li:first-child button.add:not([disabled])"


def _status_is(page: Page, text: str) -> None:
    _until(page, f"document.getElementById('w-status').textContent === {text!r}")


@SIZES
def test_the_kj_adds_a_walk_in_with_a_name_and_a_song_found_as_they_type(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Friday Night Karaoke at the Blue Lagoon")
        night.song("Africa", "Toto")
        night.song("Don't Stop Me Now (Live at Wembley Stadium, 1986 — Remastered 2011 Edition)", "Queen")
        night.request("Ana", "Bohemian Rhapsody", "Queen")
        night.request("Ben", "Dancing Queen", "ABBA")
        night.started()
        context = browser.new_context(bypass_csp=True, viewport=size)
        page = context.new_page()
        try:
            _log_in(page, url, night.code, ADMIN_TOKEN)
            page.wait_for_selector("#w-q")

            # A song picked before a name: said next to the form, nothing sent.
            page.fill("#w-q", "afrika toto")
            page.wait_for_selector(FRESH_ADD, timeout=WAIT)
            assert page.text_content("#w-results li .song-title") == "Africa"
            page.click(FRESH_ADD)
            _status_is(page, "Type their name first.")
            assert night.upcoming_singers() == ["Ben"]

            page.fill("#w-name", NAME)
            page.fill("#w-q", "dont stop me now wembley")
            page.wait_for_selector(f"{FRESH_ADD} >> xpath=../div/div[contains(., 'Wembley')]", timeout=WAIT)
            _status_is(page, f"Add one for {NAME}:")
            _whole(page, "#w-results .song-title")
            page.click(FRESH_ADD)
            _status_is(page, f"Queued Don't Stop Me Now (Live at Wembley Stadium, 1986 — Remastered 2011 Edition) "
                             f"for {NAME}: 2nd in line.")
            _in_line(page, NAME)
            assert night.upcoming_singers() == ["Ben", NAME]
            assert page.input_value("#w-name") == "" and page.locator("#w-results li").count() == 0

            # The same name again (any case) is the same singer: their second song waits behind the round.
            page.fill("#w-name", NAME.upper())
            page.fill("#w-q", "africa")
            page.wait_for_selector(FRESH_ADD, timeout=WAIT)
            # The one added just now in line, the next one's name and song ready to add.
            page.screenshot(path=str(screenshots / f"dashboard-walkin-{_tag(size)}.png"), full_page=True)
            page.click(FRESH_ADD)
            _status_is(page, f"Queued Africa for {NAME}: 3rd in line.")
            queue = night.queue()["upcoming"]
            assert [s["singer"]["name"] for s in queue] == ["Ben", NAME, NAME]
            assert queue[1]["singer"]["singer_id"] == queue[2]["singer"]["singer_id"]
            # A walk-in person, as chat's /add makes: no account, a person id in the log.
            joined = [e["data"] for e in night.http.get(f"{night.url}/log").json()["items"]
                      if e["type"] == "SingerJoined" and e["data"]["name"] == NAME]
            assert len(joined) == 1 and joined[0]["platform"] is None and joined[0]["person_id"]

            # The show's rules answer next to the form: the same song twice is refused.
            page.fill("#w-name", NAME)
            page.fill("#w-q", "africa")
            page.wait_for_selector(FRESH_ADD, timeout=WAIT)
            page.click(FRESH_ADD)
            _until(page, "document.getElementById('w-status').className === 'error'")
            assert "Africa" in (page.text_content("#w-status") or "")
            assert len(night.upcoming_singers()) == 3

            _whole(page, "#queue .singer-name")
            _in_reach(page)
            _no_sideways_scroll(page)
        finally:
            context.close()
            night.close()
