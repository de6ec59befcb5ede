"""The web way in, in a real Chromium: a singer without any chat app joins from the QR code's page, searches,
requests, sees their place live, is alerted when next, says "On my way", and cancels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from tests.browser.support import Night, app_server, segno_modules, svg_modules
from tests.browser.test_layouts import PHONE, SIZES, WALL, _in_reach, _no_sideways_scroll, _tag, _whole
from tests.conftest import settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

WAIT = 10_000
# Runs before the page's script: a phone's vibration, recorded (headless Chromium has no motor).
# The first search result's button before it was pressed (the last search's stay until the new ones come).
FRESH_RESULT = "#results li:first-child button:not([disabled]):text-is('Sing this')"
RECORD_VIBRATION = "window.__vibrated = []; navigator.vibrate = (p) => { window.__vibrated.push(p); return true; };"


def test_a_web_singer_joins_searches_requests_sees_their_place_and_cancels(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Friday Karaoke")
        night.song("Africa", "Toto")
        night.request("Ana", "Bohemian Rhapsody", "Queen")
        night.request("Ben", "Dancing Queen", "ABBA")
        night.started()
        context = browser.new_context(bypass_csp=True, viewport=PHONE)
        context.add_init_script(RECORD_VIBRATION)
        page = context.new_page()
        try:
            page.goto(f"{url}/join/{night.code.lower()}")  # typed any case, as from the screen
            page.wait_for_selector('body[data-state="join"]', timeout=WAIT)
            page.screenshot(path=str(screenshots / "join-name.png"))
            page.click("#join-button")  # nothing typed: said, nothing sent
            assert page.text_content("#join-error") == "Tell us a name first."
            page.fill("#name", "Wanda 🎤")
            page.click("#join-button")
            page.wait_for_selector('body[data-state="singer"]', timeout=WAIT)
            assert page.text_content("#me-name") == "Wanda 🎤"
            assert page.is_visible("#none")

            page.fill("#q", "afrika toto")
            page.wait_for_selector("#results li", timeout=WAIT)
            assert page.text_content("#results li .song-title") == "Africa"
            page.click("#results li:first-child button")
            page.wait_for_selector("#mine li", timeout=WAIT)
            assert page.text_content("#status") == "Queued Africa. Your place is under My songs, kept up to date."
            assert page.text_content("#mine li .song-title") == "Africa"
            assert (page.text_content("#mine li .where") or "").startswith("2nd in line, in ~")
            assert night.upcoming_singers() == ["Ben", "Wanda 🎤"]  # one rotation with the chat's singers
            assert page.is_hidden("#called")
            page.screenshot(path=str(screenshots / "join-my-songs.png"), full_page=True)

            # The KJ moves on: live over the show's stream, Wanda is next and the phone buzzes once.
            night.kj("advance")
            page.wait_for_selector("#called:not([hidden])", timeout=WAIT)
            assert (page.text_content("#called-text") or "").startswith("You're next: Africa")
            assert (page.text_content("#mine li .where") or "").startswith("You're next")
            assert page.evaluate("window.__vibrated") == [[300, 150, 300]]
            page.screenshot(path=str(screenshots / "join-called.png"))
            page.click("#on-my-way")
            page.wait_for_selector("#called.done", timeout=WAIT)
            assert page.text_content("#called-text") == "See you at the stage!"
            assert page.evaluate("window.__vibrated") == [[300, 150, 300]]  # told once, not on every refresh

            page.click("#mine li button.danger")
            page.wait_for_selector("#none:not([hidden])", timeout=WAIT)
            assert page.text_content("#status") == "Cancelled Africa."
            assert page.is_hidden("#called")
            assert night.upcoming_singers() == []
            _no_sideways_scroll(page)

            # The same browser comes back later: no name asked again.
            page.reload()
            page.wait_for_selector('body[data-state="singer"]', timeout=WAIT)
            assert page.text_content("#me-name") == "Wanda 🎤"
        finally:
            context.close()
            night.close()


@SIZES
def test_the_join_page_shows_long_names_and_titles_whole_with_every_button_in_reach(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    long_name = "Maximiliana Fernández-Oyelaran"
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Friday Night Karaoke at the Blue Lagoon")
        night.song("Don't Stop Me Now (Live at Wembley Stadium, 1986 — Remastered 2011 Edition)", "Queen")
        night.song("千と千尋の神隠し いつも何度でも", "木村弓")
        night.request("Ana", "Bohemian Rhapsody", "Queen")
        night.started()
        page = browser.new_page(bypass_csp=True, viewport=size)
        try:
            page.goto(f"{url}/join/{night.code}")
            page.wait_for_selector('body[data-state="join"]', timeout=WAIT)
            page.fill("#name", long_name)
            page.click("#join-button")
            page.wait_for_selector('body[data-state="singer"]', timeout=WAIT)
            for query, count in (("dont stop me now wembley", 1), ("いつも何度でも", 2)):
                page.fill("#q", query)
                page.wait_for_selector(FRESH_RESULT, timeout=WAIT)
                page.click("#results li:first-child button")
                page.wait_for_function(f"document.querySelectorAll('#mine li').length === {count}", timeout=WAIT)
            page.fill("#q", "queen")
            page.wait_for_selector("#results li .song-artist:text-is('Queen')", timeout=WAIT)
            _whole(page, "#show-name")
            _whole(page, "#me-name")
            titles = [b["text"] for b in _whole(page, "#mine .song-title")]
            assert titles[1] == "千と千尋の神隠し いつも何度でも"
            _whole(page, "#results .song-title")
            assert _in_reach(page) >= 2 + 1  # a Cancel per song, a Sing this per result
            _no_sideways_scroll(page)
            page.screenshot(path=str(screenshots / f"layout-join-{_tag(size)}.png"), full_page=size == PHONE)
        finally:
            page.close()
            night.close()


def test_the_screen_shows_the_web_join_qr_code_without_telegram(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url)
        page = browser.new_page(bypass_csp=True, viewport=WALL)
        try:
            page.goto(f"{url}/display/{night.code}")
            page.wait_for_function("Number(document.body.dataset.fitted) > 0")
            page.screenshot(path=str(screenshots / "display-qr-web.png"))
            assert page.locator(".qr-box").count() == 1
            svg = page.eval_on_selector(".qr-web svg", "e => e.outerHTML")
            assert any(svg_modules(svg) == segno_modules(f"{url}/join/{night.code}", level) for level in "LMQH")
            assert page.text_content(".qr-web figcaption") == f"Scan to sing — no app needed{url.split('://')[1]}/join/{night.code}"
            assert page.text_content(".qr-web .qr-link") == f"{url.split('://')[1]}/join/{night.code}"
            box = page.locator(".qr-web svg").bounding_box()
            assert box is not None and box["width"] >= 300
            _no_sideways_scroll(page)
            assert _whole(page, ".join")[0]["bottom"] <= WALL["height"]
        finally:
            page.close()
            night.close()


def test_with_telegram_the_screen_offers_both_codes_and_names_the_bot(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    def with_bot(app: FastAPI) -> None:
        app.state.telegram_username = "KaraokeNightBot"

    public = "https://karaoke.example"
    with app_server(settings_for(db_url, public_url=public), with_bot) as url:
        night = Night(url)
        night.request("Ana", "Bohemian Rhapsody", "Queen")
        night.started()
        for size in (WALL, PHONE):
            page = browser.new_page(bypass_csp=True, viewport=size)
            try:
                page.goto(f"{url}/display/{night.code}")
                page.wait_for_function("Number(document.body.dataset.fitted) > 0")
                page.screenshot(path=str(screenshots / f"display-two-codes-{_tag(size)}.png"),
                                full_page=size == PHONE)
                assert page.locator(".qr-box").count() == 2
                telegram = page.eval_on_selector(".qr-telegram svg", "e => e.outerHTML")
                deep_link = f"https://t.me/KaraokeNightBot?start={night.code}"
                assert any(svg_modules(telegram) == segno_modules(deep_link, level) for level in "LMQH")
                assert page.text_content(".qr-telegram figcaption") == "Telegram: @KaraokeNightBot"
                web = page.eval_on_selector(".qr-web svg", "e => e.outerHTML")
                assert any(svg_modules(web) == segno_modules(f"{public}/join/{night.code}", level) for level in "LMQH")
                _no_sideways_scroll(page)
                if size == WALL:
                    for selector in (".qr-telegram svg", ".qr-web svg"):
                        box = page.locator(selector).bounding_box()
                        assert box is not None and box["width"] >= 300, "too small to scan across a room"
                    assert _whole(page, ".join")[0]["bottom"] <= WALL["height"]
            finally:
                page.close()
        # The join page offers the bot too, by name.
        page = browser.new_page(bypass_csp=True, viewport=PHONE)
        try:
            page.goto(f"{url}/join/{night.code}")
            page.wait_for_selector('body[data-state="join"]', timeout=WAIT)
            assert page.get_attribute("a.tg", "href") == f"https://t.me/KaraokeNightBot?start={night.code}"
            assert "@KaraokeNightBot" in (page.text_content("a.tg") or "")
        finally:
            page.close()
            night.close()
