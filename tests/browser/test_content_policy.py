"""Every page works under its strict content policy: its scripts run, nothing is refused, inline script is.

These pages are opened WITHOUT ``bypass_csp`` and without ``wait_for_function`` (which needs ``eval``):
waits are selectors, which Playwright evaluates outside the page's policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.browser.support import Night
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

WAIT = 10_000
# Runs before any page script (Playwright injects it outside the policy): records every refusal.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


def _watched(context: BrowserContext) -> tuple[Page, list[str]]:
    page = context.new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    return page, complaints


def _violations(page: Page) -> list[Any]:
    return list(page.evaluate("window.__violations"))


def test_the_pages_run_under_their_content_policy_with_nothing_refused(browser: Browser, db_url: str) -> None:
    with live_server(settings_for(db_url)) as url:
        night = Night(url, name="Policy Night")
        night.song("Bohemian Rhapsody", "Queen")
        night.song("Africa", "Toto")
        night.request("Ana", "Bohemian Rhapsody", "Queen")
        night.request("Ben", "Dancing Queen", "ABBA")
        night.started()
        context = browser.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        try:
            checks = {
                "/": "main",
                f"/display/{night.code}": 'body[data-live="yes"][data-version]',
                f"/songbook/{night.code}": "#q",
                f"/history/{night.code}": 'body[data-live="yes"][data-version]',
                f"/join/{night.code}": 'body[data-state="join"][data-live="yes"]',
                f"/kj/{night.code}": "#token",
                "/display/NOPE9": ".page-message",
                "/docs": ".swagger-ui .info",
                "/redoc": "redoc-wrap, .api-content",
            }
            for path, ready in checks.items():
                page, complaints = _watched(context)
                answer = page.goto(url + path)
                assert answer is not None and answer.headers.get("content-security-policy"), path
                page.wait_for_selector(ready, timeout=WAIT)
                if path.startswith("/songbook"):
                    page.fill("#q", "bohemian")
                    page.wait_for_selector("#results li", timeout=WAIT)
                page.wait_for_load_state("networkidle") if path in ("/docs", "/redoc") else None
                # ReDoc asks for its vendor's logo off the machine, unasked; refusing that is the docs policy's job.
                refused = [v for v in _violations(page) if "https://cdn.redoc.ly/" not in v]
                assert refused == [], path
                assert not [c for c in complaints if "Content Security Policy" in c and "cdn.redoc.ly" not in c], (
                    path, complaints)
                assert not [c for c in complaints if "Uncaught" in c], (path, complaints)
                page.close()

            # The dashboard itself, logged in: its script renders the queue and its buttons work.
            page, complaints = _watched(context)
            page.goto(f"{url}/kj/{night.code}")
            page.fill("#token", ADMIN_TOKEN)
            page.click("button[type=submit]")
            page.wait_for_selector('#queue tr[data-request-id]', timeout=WAIT)
            page.wait_for_selector('body[data-live="yes"]', timeout=WAIT)
            page.click("#advance")
            page.wait_for_selector("#queue-empty:not([hidden])", timeout=WAIT)
            assert night.now_singer() == "Ben"
            assert _violations(page) == [] and complaints == []

            # The join page, joined: it searches, requests and lists the song under its policy.
            singer, said = _watched(context)
            missing: list[str] = []
            singer.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
            singer.goto(f"{url}/join/{night.code}")
            singer.fill("#name", "Policy Pat")
            singer.click("#join-button")
            singer.wait_for_selector('body[data-state="singer"]', timeout=WAIT)
            singer.fill("#q", "africa")
            singer.click("#results li button")
            singer.wait_for_selector("#mine li", timeout=WAIT)
            # Its first look at /me is answered 401 before joining, and the browser's own favicon request 404 (no
            # response of the page's is), which the console notes; nothing else.
            assert _violations(singer) == [] and missing == []
            assert [c for c in said if "status of 401" not in c and "status of 404" not in c] == [], said
            singer.close()

            # And the policy is really there: an injected inline script is refused and reported.
            page.evaluate("""() => { const s = document.createElement("script");
                                     s.textContent = "window.__inline = 1"; document.body.appendChild(s); }""")
            page.wait_for_timeout(200)
            assert page.evaluate("window.__inline") is None
            assert any(v.startswith("script-src") for v in _violations(page))
        finally:
            context.close()
            night.close()
