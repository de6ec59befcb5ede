"""The join page for a regular, in a real Chromium at a phone's and a wall's size: favourites kept with a star,
a ``/link`` code from the bot that makes the page and the Telegram account one person, the songs that account
sang on an earlier night offered with one tap, all through the real service."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from karaoke.bootstrap import Container
from tests.browser.support import Night
from tests.browser.test_layouts import SIZES, _in_reach, _no_sideways_scroll, _tag, _whole
from tests.conftest import settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

WAIT = 10_000
ANN = {"name": "Ann", "platform": "telegram", "user_id": "555000111"}


def _titles(page: Page, selector: str) -> list[str]:
    titles: list[str] = page.eval_on_selector_all(f"{selector} .song-title", "nodes => nodes.map(n => n.textContent)")
    return titles


def _until_titles(page: Page, selector: str, titles: list[str],
                  explain: Callable[[Page], str] | None = None) -> None:
    shown = f"[...document.querySelectorAll({selector + ' .song-title'!r})].map(n => n.textContent)"
    try:
        page.wait_for_function(f"JSON.stringify({shown}) === JSON.stringify({json.dumps(titles)})", timeout=WAIT)
    except PlaywrightTimeout:
        said = explain(page) if explain is not None else ""
        raise AssertionError(f"{selector} shows {page.evaluate(shown)}, not {titles}. {said}") from None


def _again_answer(page: Page) -> str:
    """What the service answers the page's /again now, and how often the page loaded its lists (a flake once
    left "Sing again" empty in a full run; this says whether the service or the page lost the songs)."""
    answer = page.evaluate("""async () => {
        const r = await fetch(location.pathname.replace('/join/', '/api/v1/join/') + '/again', {cache: 'no-store'});
        return {status: r.status, body: (await r.text()).slice(0, 600), loads: document.body.dataset.regulars};
    }""")
    return f"The service answers /again now: {answer}"


def _last_night(url: str) -> None:
    """Ann sang two songs from Telegram on Thursday (her account, through the admin API, is her person)."""
    last = Night(url, name="Thursday")
    try:
        for title, artist in (("Africa", "Toto"), ("Zombie", "The Cranberries")):
            answer = last.http.post(f"{last.url}/requests", json={"singer": ANN, "song_id": last.song(title, artist)})
            assert answer.status_code == 201, answer.text
        for _ in range(3):
            last.kj("advance")
        assert last.http.post(f"{last.url}/close").status_code == 200
    finally:
        last.close()


@SIZES
def test_a_regular_keeps_favourites_links_their_telegram_and_sings_an_earlier_song_again(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    seeded: dict[str, Any] = {}

    async def link_code(container: Container) -> None:
        # What /link answers Ann in her private chat with the bot.
        person = await container.people.person(ANN["platform"], ANN["user_id"])
        seeded["code"] = await container.people.link_code(person.person_id)

    with live_server(settings_for(db_url), prepare=link_code) as url:
        _last_night(url)
        night = Night(url, name="Saturday Karaoke at the Blue Lagoon")
        night.song("Waterloo", "ABBA")
        night.request("Ben", "Dancing Queen", "ABBA")
        night.started()
        page = browser.new_page(bypass_csp=True, viewport=size)
        try:
            page.goto(f"{url}/join/{night.code}")
            page.wait_for_selector('body[data-state="join"]', timeout=WAIT)
            page.fill("#name", "Annie")
            page.click("#join-button")
            page.wait_for_selector('body[data-state="singer"]', timeout=WAIT)
            page.wait_for_function("Number(document.body.dataset.regulars) >= 1", timeout=WAIT)
            assert page.is_hidden("#favs-box") and page.is_hidden("#again-box")  # a new person: nothing yet

            # A star on a search result keeps it.
            page.fill("#q", "waterloo")
            page.wait_for_selector("#results li button.star[aria-pressed='false']", timeout=WAIT)
            page.click("#results li:first-child button.star")
            _until_titles(page, "#favs", ["Waterloo"])
            assert page.get_attribute("#results li:first-child button.star", "aria-pressed") == "true"
            assert page.text_content("#status") == "★ Kept Waterloo in your favourites."

            # A mistyped code is told plainly; the bot's code links the page to Ann's Telegram.
            page.fill("#link-code", "K7QX9999")
            page.click("#link-button")
            page.wait_for_selector("#link-status.error", timeout=WAIT)
            assert (page.text_content("#link-status") or "").startswith("That isn't a link code I gave out.")
            code = seeded["code"]
            page.fill("#link-code", f"{code[:4].lower()} {code[4:]}")
            page.click("#link-button")
            page.wait_for_selector("#link-status.done", timeout=WAIT)
            assert (page.text_content("#link-status") or "").startswith(
                "Linked: you're one singer with your Telegram account now")
            _until_titles(page, "#again", ["Zombie", "Africa"])

            page.fill("#q", "")
            # One tap signs up for an earlier song; a star there keeps it, and one in the list drops Waterloo.
            page.click("#again li:has(.song-title:text-is('Africa')) button.sing")
            page.wait_for_selector("#mine li .song-title:text-is('Africa')", timeout=WAIT)
            assert night.now_singer() == "Ben" and night.upcoming_singers() == ["Annie"]
            page.click("#again li:has(.song-title:text-is('Zombie')) button.star")
            _until_titles(page, "#favs", ["Zombie", "Waterloo"])
            page.screenshot(path=str(screenshots / f"join-regulars-{_tag(size)}.png"), full_page=True)
            page.click("#favs li:has(.song-title:text-is('Waterloo')) button.star")
            _until_titles(page, "#favs", ["Zombie"])
            assert page.text_content("#status") == "Waterloo is no longer a favourite."

            _whole(page, "#favs .song-title")
            _until_titles(page, "#again", ["Zombie", "Africa"], explain=_again_answer)
            _whole(page, "#again .song-title")
            _whole(page, "#link-status")
            assert _in_reach(page) >= 2 * 3 + 1  # a star and a Sing this per song in the lists, Link
            _no_sideways_scroll(page)
        finally:
            page.close()
            night.close()
