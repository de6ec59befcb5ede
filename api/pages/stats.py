"""The ``/stats`` page for KJs: the numbers of ``GET /api/v1/stats`` with bar charts drawn on the server.

Behind the same login as the KJ dashboard (the admin token once, then the session cookie); a window is chosen
with two date fields, sent as ``?from=&to=`` like the API's.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import ADMIN_COOKIE
from api.deps import ServicesDep
from api.pages.charts import bars, hours
from api.pages.login import log_in
from api.pages.render import Markup, render
from core.stats import BadWindow, Stats, Window, window_from_text

router = APIRouter(include_in_schema=False)

TOP = 10
_TEXT_MAX = 40
_NO_STORE = {"Cache-Control": "no-store"}
_SHOWN = Markup("")
_HIDDEN = Markup("hidden")


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_NO_STORE)


def _login(error: str = "", status: int = 200) -> HTMLResponse:
    return _page(render("stats_login.html", error=error, error_hidden=_SHOWN if error else _HIDDEN), status)


def _wait(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    return f"{round(seconds)} s" if minutes < 1 else f"{minutes} min"


def _rate(stats: Stats) -> str:
    if stats.no_show_rate is None:
        return "—"
    return f"{stats.no_shows} ({stats.no_show_rate * 100:.1f}%)"


def _span(window: Window) -> str:
    if window.start is None and window.end is None:
        return "Every show so far."
    start = window.start.strftime("%d %b %Y").lstrip("0") if window.start else None
    # ``to`` is exclusive: the day before it is the last one counted when it falls on midnight.
    last = None
    if window.end is not None:
        midnight = window.end.hour == window.end.minute == window.end.second == window.end.microsecond == 0
        last = (window.end - timedelta(days=1) if midnight else window.end).strftime("%d %b %Y").lstrip("0")
    if start and last:
        return f"From {start} through {last} (UTC)."
    return f"From {start} on (UTC)." if start else f"Through {last} (UTC)."


def _stats_page(stats: Stats | None, start: str, end: str, error: str = "", status: int = 200) -> HTMLResponse:
    empty = stats is None or stats.performances == 0
    return _page(render(
        "stats.html",
        start=start, end=end,
        error=error, error_hidden=_SHOWN if error else _HIDDEN,
        span=_span(stats.window) if stats is not None else "",
        shows=stats.shows if stats else "—",
        performances=stats.performances if stats else "—",
        singers=stats.singers if stats else "—",
        wait=_wait(stats.average_wait_seconds) if stats else "—",
        no_shows=_rate(stats) if stats else "—",
        songs=bars([(f"{s.title} — {s.artist}", s.count) for s in stats.top_songs], label="Top songs")
        if stats else Markup(""),
        artists=bars([(a.artist, a.count) for a in stats.top_artists], label="Top artists") if stats else Markup(""),
        singers_chart=bars([(s.name, s.count) for s in stats.top_singers], label="Top singers")
        if stats else Markup(""),
        hours=hours([(h.hour, h.count) for h in stats.busiest_hours], label="Songs started per hour, UTC")
        if stats else Markup(""),
        none_hidden=_SHOWN if empty else _HIDDEN,
    ), status)


async def _has_session(request: Request, services: ServicesDep) -> bool:
    session = request.cookies.get(ADMIN_COOKIE, "")
    return bool(session) and await services.access.sessions.is_open(session)


def _field(request: Request, name: str) -> str:
    return request.query_params.get(name, "").strip()


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(request: Request, services: ServicesDep) -> HTMLResponse:
    """The stats of every show (or of the days chosen), or the login form without the admin cookie."""
    if not await _has_session(request, services):
        return _login()
    start, end = _field(request, "from"), _field(request, "to")
    shown_start, shown_end = start[:_TEXT_MAX], end[:_TEXT_MAX]
    try:
        if len(start) > _TEXT_MAX or len(end) > _TEXT_MAX:
            raise BadWindow("from" if len(start) > _TEXT_MAX else "to", "too long")
        window = window_from_text(start or None, end or None)
    except BadWindow as bad:
        message = ("“From” comes after “to”." if bad.reason == "comes after to"
                   else f"“{bad.field.capitalize()}” is not a date.")
        return _stats_page(None, shown_start, shown_end, message, 400)
    return _stats_page(await services.stats.summary(window, top=TOP), shown_start, shown_end)


@router.post("/stats/login", response_class=HTMLResponse)
async def stats_login(request: Request, services: ServicesDep) -> Response:
    """Check the admin token from the form (as the KJ dashboard's login does): right, a session and the page."""
    return await log_in(request, services, _login, "/stats")


@router.post("/stats/logout")
async def stats_logout(request: Request, services: ServicesDep) -> Response:
    """End the session on the server and forget its cookie."""
    session = request.cookies.get(ADMIN_COOKIE, "")
    if session:
        await services.access.sessions.end(session)
    response = RedirectResponse("/stats", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/", httponly=True, samesite="strict")
    return response
