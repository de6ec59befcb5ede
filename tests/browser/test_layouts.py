"""Every page at a phone's 390×844 and a venue screen's 1920×1080: nothing scrolls sideways, no name or title is
cut, every button is in reach, the fonts name CJK fallbacks; and the API docs render with the internet cut off."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.browser.support import Night
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    # Only for annotations: without Playwright the module still imports and the fixture skips.
    from playwright.sync_api import Browser, Page, Route, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}
WALL: ViewportSize = {"width": 1920, "height": 1080}
SIZES = pytest.mark.parametrize("size", [PHONE, WALL], ids=["390x844", "1920x1080"])

LONG_NAME = "Maximiliana Fernández-Oyelaran"
LONG_WAITING = "Bartholomew Featherstonehaugh-Wolfeschlegel"
LONG_TITLE = "Don't Stop Me Now (Live at Wembley Stadium, 1986 — Remastered 2011 Edition)"
CJK_FONTS = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Hiragino Sans", "PingFang SC", "Microsoft YaHei",
             "Source Han Sans")
HOSTILE = "<img src=x onerror=window.__pwned=1>"


def _night(url: str, name: str = "Friday Night Karaoke at the Blue Lagoon") -> Night:
    night = Night(url, name=name)
    night.request(LONG_NAME, "Bohemian Rhapsody", "Queen")
    night.request("Ben", "千と千尋の神隠し いつも何度でも", "木村弓")
    night.request(LONG_WAITING, LONG_TITLE, "Queen")
    night.request("陈伟霖", "月亮代表我的心", "鄧麗君")
    night.request("Evangelina Konstantinopoulou", "강남스타일", "PSY")
    night.request("Gus", "Wonderwall", "Oasis")
    night.started()
    return night


def _tag(size: ViewportSize) -> str:
    return str(size["width"])


def _no_sideways_scroll(page: Page) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page scrolls sideways: {scroll} px wide in a {inner} px window"


def _boxes(page: Page, selector: str) -> list[dict[str, Any]]:
    """Each visible element's box, how wide its content is against its own width, and how it treats overflow.

    Found and measured in one script: ``eval_on_selector_all`` finds the nodes in one round trip and measures
    them in another, and a list the page re-rendered in between measured as nothing (detached nodes)."""
    found: list[dict[str, Any]] = page.evaluate(
        """selector => [...document.querySelectorAll(selector)].filter(n => n.getClientRects().length > 0).map(n => {
             const r = n.getBoundingClientRect(), s = getComputedStyle(n);
             return {text: n.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                     width: r.width, scroll: n.scrollWidth, client: n.clientWidth,
                     textOverflow: s.textOverflow, overflowX: s.overflowX};
           })""",
        selector,
    )
    return found


def _whole(page: Page, selector: str) -> list[dict[str, Any]]:
    """Every element of ``selector`` shows all of its text: nothing cut off, no ellipsis, inside the window."""
    boxes = _boxes(page, selector)
    assert boxes, f"nothing visible matches {selector}"
    inner = page.evaluate("window.innerWidth")
    for box in boxes:
        assert box["scroll"] <= box["client"] + 1, f"{selector} is cut: {box}"
        assert box["textOverflow"] != "ellipsis", f"{selector} ends in an ellipsis: {box}"
        assert box["left"] >= 0 and box["right"] <= inner + 0.5, f"{selector} sticks out of the window: {box}"
    return boxes


def _in_reach(page: Page, selector: str = "button") -> int:
    """Every visible button lies within the window's width; returns how many there are."""
    boxes = _boxes(page, selector)
    inner = page.evaluate("window.innerWidth")
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= inner + 0.5 and box["width"] >= 24, f"out of reach: {box}"
    return len(boxes)


def _log_in(page: Page, url: str, code: str) -> None:
    page.goto(f"{url}/kj/{code}")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue tr")


@SIZES
def test_the_venue_screen_shows_long_names_and_titles_whole(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        page = browser.new_page(bypass_csp=True, viewport=size)
        try:
            page.goto(f"{url}/display/{night.code}")
            page.wait_for_function("Number(document.body.dataset.fitted) > 0")
            assert page.text_content("#now-singer") == LONG_NAME
            for selector in ("#show-name", "#now-singer", "#now-title", "#now-artist", "#upcoming li .who"):
                _whole(page, selector)
            rows = _whole(page, "#upcoming li")
            assert len(rows) == 5
            assert any(f"{LONG_WAITING}{LONG_TITLE} · Queen" in row["text"] for row in rows)
            _no_sideways_scroll(page)
            singer_px = float(page.eval_on_selector("#now-singer", "e => parseFloat(getComputedStyle(e).fontSize)"))
            if size == WALL:
                # Shrunk to fit one line, still big enough to read across a room; nothing below the screen's edge.
                assert singer_px >= 45
                lines = page.eval_on_selector(
                    "#now-singer", "e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)")
                assert round(lines) == 1, f"the name takes {lines:.1f} lines"
                assert all(row["bottom"] <= WALL["height"] for row in rows), rows
                assert _boxes(page, ".join")[0]["bottom"] <= WALL["height"]
            else:
                assert singer_px >= 24
            page.screenshot(path=str(screenshots / f"layout-display-{_tag(size)}.png"), full_page=size == PHONE)
        finally:
            page.close()
            night.close()


@SIZES
def test_the_kj_dashboard_shows_singer_and_song_and_every_button_in_reach(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        context = browser.new_context(bypass_csp=True, viewport=size)
        page = context.new_page()
        try:
            _log_in(page, url, night.code)
            page.wait_for_function("document.querySelectorAll('#queue tr').length === 5")
            _no_sideways_scroll(page)
            singers = _whole(page, "#queue tr td.who")
            assert [s["text"] for s in singers] == night.upcoming_singers()
            songs = _whole(page, "#queue tr td.song")
            assert f"{LONG_TITLE} · Queen" in [s["text"] for s in songs]
            assert all(s["width"] >= 100 for s in singers + songs), "a singer or song column is squeezed shut"
            assert _in_reach(page) >= 5 * 4 + 3 + 1  # four per waiting song, the three controls, the settings
            _whole(page, "h1")
            page.screenshot(path=str(screenshots / f"layout-kj-{_tag(size)}.png"), full_page=True)

            first, second = night.upcoming_singers()[:2]
            page.click(f"#queue tr:has(.singer-name:text-is({first!r})) button.move-down")
            page.wait_for_function(
                f"document.querySelector('#queue tr .singer-name')?.textContent === {second!r}", timeout=3000
            )
            assert night.upcoming_singers()[:2] == [second, first]
            _no_sideways_scroll(page)
        finally:
            context.close()
            night.close()


@SIZES
def test_the_front_door_lists_the_open_shows_and_leads_to_their_pages(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        other = Night(url, name=f"Quiet {HOSTILE} Tuesday")
        page = browser.new_page(bypass_csp=True, viewport=size)
        try:
            page.goto(f"{url}/")
            names = [b["text"] for b in _whole(page, "#shows .show-name")]
            assert names == [other.show["name"], night.show["name"]]  # newest first, as typed
            assert page.evaluate("window.__pwned") is None
            codes = page.eval_on_selector_all("#shows .code", "nodes => nodes.map(n => n.textContent)")
            assert codes == [other.code, night.code]
            _in_reach(page, "#shows .links a")
            _no_sideways_scroll(page)
            page.screenshot(path=str(screenshots / f"layout-home-{_tag(size)}.png"), full_page=True)

            page.click(f"#shows li:has(.code:text-is({night.code!r})) a.screen")
            page.wait_for_url(f"{url}/display/{night.code}")
            assert page.text_content("#now-singer") == LONG_NAME
            page.go_back()
            page.click("#docs")
            page.wait_for_selector(".opblock", timeout=10_000)
        finally:
            page.close()
            other.close()
            night.close()


def test_every_page_names_cjk_fallback_fonts(browser: Browser, db_url: str) -> None:
    with live_server(settings_for(db_url)) as url:
        night = _night(url)
        page = browser.new_page(bypass_csp=True, viewport=WALL)
        try:
            pages = ["/", f"/display/{night.code}", f"/songbook/{night.code}", f"/kj/{night.code}", "/display/NOPE9",
                     f"/history/{night.code}"]
            for path in pages:
                page.goto(f"{url}{path}")
                _names_cjk_fonts(page, path)
            _log_in(page, url, night.code)
            _names_cjk_fonts(page, "the KJ dashboard")
        finally:
            page.close()
            night.close()


def _names_cjk_fonts(page: Page, where: str) -> None:
    stacks = page.eval_on_selector_all(
        "body, h1, .code, .cmd, .how, input, button",
        "nodes => nodes.map(n => getComputedStyle(n).fontFamily)",
    )
    assert stacks, where
    for stack in stacks:
        for font in CJK_FONTS:
            assert font in stack, f"{where}: {font!r} is missing from {stack}"


def _offline(context: Any, blocked: list[str]) -> None:
    """Let the browser reach the service on loopback and nothing else, noting what it tried to reach."""

    def route(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)


@SIZES
def test_the_api_docs_render_with_the_internet_cut_off(
    browser: Browser, db_url: str, screenshots: Path, size: ViewportSize
) -> None:
    with live_server(settings_for(db_url)) as url:
        # Under the docs' own content policy: it is what keeps ReDoc from fetching its logo off the machine.
        context = browser.new_context(viewport=size)
        blocked: list[str] = []
        errors: list[str] = []
        _offline(context, blocked)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock", timeout=15_000)
            paths = page.eval_on_selector_all(".opblock-summary-path", "nodes => nodes.map(n => n.textContent)")
            assert "/api/v1/shows" in [p.replace("\u200b", "") for p in paths]
            assert len(paths) >= 20
            page.screenshot(path=str(screenshots / f"layout-docs-{_tag(size)}.png"))

            page.goto(f"{url}/redoc")
            page.locator("h2", has_text="Open Show").first.wait_for(timeout=15_000)
            page.screenshot(path=str(screenshots / f"layout-redoc-{_tag(size)}.png"))
            assert blocked == [], f"the docs reached out of the machine: {blocked}"
            assert errors == []
        finally:
            context.close()
