"""The KJ dashboard in a real browser: log in with the admin token, then drive the show by its buttons."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.support import Night
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    # Only for annotations: without Playwright the module still imports and the fixture skips.
    from playwright.sync_api import Browser, Page, ViewportSize

LAPTOP: ViewportSize = {"width": 1440, "height": 900}
WAIT = 3000


def _night(url: str) -> Night:
    night = Night(url, name="KJ Night")
    night.request("Ana", "Bohemian Rhapsody", "Queen")
    night.request("Ben", "Dancing Queen", "ABBA")
    night.request("Cy", "Wonderwall", "Oasis")
    night.request("Dee", "Africa", "Toto")
    night.started()
    return night


def _log_in(page: Page, url: str, code: str, token: str) -> None:
    page.goto(f"{url}/kj/{code.lower()}")
    page.fill("#token", token)
    page.click("button[type=submit]")


def _until(page: Page, condition: str) -> None:
    """Wait for ``condition`` (JS); on time-out say what the page showed instead."""
    try:
        page.wait_for_function(condition, timeout=WAIT)
    except Exception as error:
        shown = page.evaluate(
            """() => ({now: document.getElementById('now').textContent,
                       queue: [...document.querySelectorAll('#queue tr .singer-name')].map(e => e.textContent),
                       paused: [...document.querySelectorAll('#paused li')].map(e => e.textContent),
                       message: document.getElementById('message').textContent})"""
        )
        raise AssertionError(f"{condition} did not come true; the page shows {shown}") from error


def _now_is(page: Page, singer: str) -> None:
    _until(page, f"document.getElementById('now').textContent.startsWith({singer!r} + ' — ')")


def _first_in_line(page: Page, singer: str) -> None:
    _until(page, f"document.querySelector('#queue tr .singer-name')?.textContent === {singer!r}")


def _in_line(page: Page, singer: str, present: bool = True) -> None:
    found = f"[...document.querySelectorAll('#queue tr .singer-name')].some(e => e.textContent === {singer!r})"
    _until(page, found if present else f"!{found}")


def _paused(page: Page, singer: str, present: bool = True) -> None:
    found = f"[...document.querySelectorAll('#paused li .singer-name')].some(e => e.textContent === {singer!r})"
    _until(page, found if present else f"!{found}")


def _row_of(page: Page, singer: str) -> str:
    return f"#queue tr:has(.singer-name:text-is({singer!r}))"


def test_the_buttons_drive_the_show_through_the_admin_api_after_logging_in(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        context = browser.new_context(bypass_csp=True, viewport=LAPTOP)
        page = context.new_page()
        try:
            _log_in(page, url, night.code, ADMIN_TOKEN)
            page.wait_for_selector("#advance")
            cookie = next(c for c in context.cookies() if c["name"] == "karaoke_admin")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
            assert page.evaluate("document.cookie") == ""  # the page's script cannot read the token
            _now_is(page, "Ana")
            page.wait_for_selector(_row_of(page, "Ben"))
            page.wait_for_function("document.body.dataset.live === 'yes'", timeout=5000)
            page.screenshot(path=str(screenshots / "kj-dashboard.png"), full_page=True)

            page.click("#advance")
            _now_is(page, "Ben")
            assert night.now_singer() == "Ben"

            page.click("#undo")
            _now_is(page, "Ana")
            assert night.now_singer() == "Ana"

            # Skip passes over the singer called next (Ben); Ana sings on and Cy is called.
            page.click("#skip")
            _first_in_line(page, "Cy")
            assert night.now_singer() == "Ana" and night.upcoming_singers()[-1] == "Ben"
            page.click("#undo")
            _first_in_line(page, "Ben")
            # Ana never came to the mic: her turn is voided and Ben starts.
            page.click("#void")
            _now_is(page, "Ben")
            history = night.http.get(f"{night.url}/history").json()["items"]
            assert [(h["singer"]["name"], h["outcome"]) for h in history] == [("Ana", "voided")]
            page.click("#undo")
            _now_is(page, "Ana")

            page.click(f"{_row_of(page, 'Cy')} button.pause")
            _in_line(page, "Cy", present=False)
            _paused(page, "Cy")
            assert "Cy" not in night.upcoming_singers()

            page.click("#paused li:has-text('Cy') button.resume")
            _in_line(page, "Cy")
            _paused(page, "Cy", present=False)
            assert "Cy" in night.upcoming_singers()

            before = night.upcoming_singers()
            page.click(f"{_row_of(page, before[0])} button.move-down")
            _first_in_line(page, before[1])
            assert night.upcoming_singers()[:2] == [before[1], before[0]]
            page.click(f"{_row_of(page, before[0])} button.move-up")
            _first_in_line(page, before[0])

            page.click(f"{_row_of(page, 'Dee')} button.remove")
            _in_line(page, "Dee", present=False)
            assert "Dee" not in night.upcoming_singers()

            page.fill("#s-changeover_seconds", "45")
            page.select_option("#s-policy", "fifo")
            page.click("#save-settings")
            _until(page, "document.getElementById('message').textContent === 'Settings saved.'")
            settings = night.http.get(night.url).json()["settings"]
            assert settings["changeover_seconds"] == 45 and settings["policy"] == "fifo"

            kinds = [item["type"] for item in night.http.get(f"{night.url}/log").json()["items"]]
            for kind in ("PerformanceFinished", "KjActionReverted", "SingerPaused", "SingerResumed", "RequestMoved",
                         "RequestWithdrawn", "ShowSettingsChanged"):
                assert kind in kinds, (kind, kinds)
        finally:
            context.close()
            night.close()


def test_without_the_token_the_dashboard_asks_for_it_and_the_api_refuses(
    browser: Browser, db_url: str, screenshots: Path
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        context = browser.new_context(bypass_csp=True, viewport=LAPTOP)
        page = context.new_page()
        try:
            page.goto(f"{url}/kj/{night.code}")
            assert page.is_visible("#token") and page.locator("#advance").count() == 0
            version = night.queue()["version"]
            status = page.evaluate(
                """async (id) => (await fetch('/api/v1/shows/' + id + '/advance',
                     {method: 'POST', headers: {'X-Karaoke-CSRF': '1'}})).status""",
                night.id,
            )
            assert status == 401
            assert night.queue()["version"] == version and night.now_singer() == "Ana"

            _log_in(page, url, night.code, "not-the-token")
            assert page.is_visible("#login-error")
            assert "not right" in (page.text_content("#login-error") or "")
            assert [c for c in context.cookies() if c["name"] == "karaoke_admin"] == []
            page.screenshot(path=str(screenshots / "kj-login.png"))

            # A forged cookie is no better than none.
            context.add_cookies([{"name": "karaoke_admin", "value": "guess", "url": url}])
            page.goto(f"{url}/kj/{night.code}")
            assert page.is_visible("#token")
            status = page.evaluate(
                """async (id) => (await fetch('/api/v1/shows/' + id + '/skip',
                     {method: 'POST', headers: {'X-Karaoke-CSRF': '1'}})).status""",
                night.id,
            )
            assert status == 401
            assert night.queue()["version"] == version
        finally:
            context.close()
            night.close()
