"""The page routes: / (the open shows), /display/{code}, /kj/{code} (+ login/logout/singers), /songbook/{code}
and /join/{code} (singing from a phone's browser).

A page is found by the show's join code, typed any case. The pages read and write through the
public API; logging in to the KJ dashboard with the admin token starts a server-side session whose
random id is the HttpOnly cookie, which ``api.auth.require_admin`` accepts together with the
``X-Karaoke-CSRF`` header. Logging out ends the session, so a copied cookie opens nothing afterwards.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.auth import ADMIN_COOKIE, AdminDep
from api.deps import ApiServices, RotationDep, ServicesDep, TelegramBotDep
from api.pages.login import log_in
from api.pages.qr import qr_svg, telegram_link, web_join_link
from api.pages.render import Markup, json_script, render
from core.rotation import NotFound, QueueView, RotationService, ShowState, ShowSummary, Slot

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

# Join codes are a few letters and digits; anything else cannot be one, so it costs no database read.
_CODE = re.compile(r"^[A-Za-z0-9 -]{1,20}$")
_UPCOMING_ON_SCREEN = 5
_SHOWS_ON_HOME = 50
_POPULAR_ON_SONGBOOK = 10
_NO_STORE = {"Cache-Control": "no-store"}


async def _show(rotation: RotationService, code: str) -> ShowState | None:
    if not _CODE.match(code):
        return None
    show_id = await rotation.find_show(code)
    if show_id is None:
        return None
    try:
        return await rotation.state(show_id)
    except NotFound:
        return None


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_NO_STORE)


def _not_found(code: str) -> HTMLResponse:
    return _page(render("not_found.html", code=code[:40]), 404)


def eta_text(seconds: int) -> str:
    """A rough wait for a screen across the room: "in ~4 min"."""
    return f"in ~{max(1, round(seconds / 60))} min"


def _slot(slot: Slot) -> dict[str, Any]:
    return {
        "request_id": slot.request_id,
        "singer": {"singer_id": slot.singer.singer_id, "name": slot.singer.name},
        "song": {"title": slot.song.title, "artist": slot.song.artist},
        "position": slot.position,
        "eta_seconds": slot.eta_seconds,
    }


def _queue_data(view: QueueView) -> dict[str, Any]:
    return {
        "now": _slot(view.now) if view.now else None,
        "upcoming": [_slot(s) for s in view.upcoming],
        "version": view.version,
    }


def _upcoming_rows(view: QueueView) -> Markup:
    rows = []
    for slot in view.upcoming[:_UPCOMING_ON_SCREEN]:
        rows.append(render("display_row.html", position=slot.position, singer=slot.singer.name,
                           title=slot.song.title, artist=slot.song.artist, eta=eta_text(slot.eta_seconds)))
    return Markup("".join(rows))


def _show_item(show: ShowSummary) -> Markup:
    code = quote(show.code)
    return render("home_show.html", name=show.name, code=show.code, display=f"/display/{code}",
                  join=f"/join/{code}", songbook=f"/songbook/{code}", kj=f"/kj/{code}")


@router.get("/", response_class=HTMLResponse)
async def home(rotation: RotationDep) -> HTMLResponse:
    """The front door: each open show by name and join code with links to its pages, and the API docs."""
    found = await rotation.list_shows("open", page=1, limit=_SHOWS_ON_HOME)
    if found.items:
        unlisted = found.total - len(found.items)
        more = render("home_more.html", count=unlisted) if unlisted > 0 else Markup("")
        shows = render("home_shows.html", items=Markup("".join(_show_item(s) for s in found.items)), more=more)
    else:
        shows = render("home_empty.html")
    return _page(render("home.html", shows=shows))


def _base_url(request: Request, services: ApiServices) -> str:
    """Where this service is reached from outside: ``KARAOKE_PUBLIC_URL``, else the address this request came to."""
    if services.public_url:
        return services.public_url.rstrip("/")
    base = str(request.base_url).rstrip("/")
    if services.access.trust_proxy_headers and request.headers.get("x-forwarded-proto", "") == "https":
        base = "https://" + base.split("://", 1)[-1]
    return base


def _join_qrs(web_link: str, bot: str | None, code: str) -> Markup:
    """The screen's QR codes: the web join page always; beside it the bot's deep link, named, when there is one."""
    web = render("display_qr.html", kind="web", qr=qr_svg(web_link), link=web_link.split("://", 1)[-1],
                 caption="In your browser" if bot else "Scan to sing — no app needed")
    if not bot:
        return render("display_qrs.html", count="one", qrs=web)
    telegram = render("display_qr.html", kind="telegram", qr=qr_svg(telegram_link(bot, code)), link="",
                      caption=f"Telegram: @{bot.lstrip('@')}")
    return render("display_qrs.html", count="two", qrs=Markup(telegram + web))


@router.get("/display/{code}", response_class=HTMLResponse)
async def display(code: str, request: Request, services: ServicesDep, bot: TelegramBotDep) -> HTMLResponse:
    """The venue screen: now singing, the next five with ETAs, and how to join (QR codes for the web page and,
    when Telegram is configured, for the bot)."""
    rotation = services.rotation
    state = await _show(rotation, code)
    if state is None:
        return _not_found(code)
    view = await rotation.queue(state.show_id)
    web_link = web_join_link(_base_url(request, services), state.code)
    now = view.now
    return _page(render(
        "display.html",
        name=state.name,
        code=state.code,
        now_singer=now.singer.name if now else "",
        now_title=now.song.title if now else "",
        now_artist=now.song.artist if now else "",
        idle_hidden=Markup("hidden") if now else Markup(""),
        now_hidden=Markup("") if now else Markup("hidden"),
        upcoming=_upcoming_rows(view),
        qrs=_join_qrs(web_link, bot, state.code),
        layout="two-codes" if bot else "one-code",
        boot=json_script("boot", {"show_id": state.show_id, "queue": _queue_data(view)}),
    ))


async def _popular(services: ApiServices) -> Markup:
    """The songs sung most in this deployment, each a button that looks it up (none sung yet: nothing)."""
    songs = await services.stats.top_songs(limit=_POPULAR_ON_SONGBOOK)
    if not songs:
        return Markup("")
    items = "".join(render("songbook_popular_item.html", title=s.title, artist=s.artist,
                           times="once" if s.count == 1 else f"{s.count} times") for s in songs)
    return render("songbook_popular.html", items=Markup(items))


@router.get("/songbook/{code}", response_class=HTMLResponse)
async def songbook(code: str, services: ServicesDep, bot: TelegramBotDep) -> HTMLResponse:
    """The singers' catalog search, for a phone: every song with the chat command that requests it, and the
    songs sung most here."""
    state = await _show(services.rotation, code)
    if state is None:
        return _not_found(code)
    return _page(render(
        "songbook.html",
        name=state.name,
        code=state.code,
        popular=await _popular(services),
        telegram=render("songbook_telegram.html", link=telegram_link(bot, state.code)) if bot else Markup(""),
        boot=json_script("boot", {"show_id": state.show_id, "code": state.code}),
    ))


@router.get("/join/{code}", response_class=HTMLResponse)
async def join_page(code: str, rotation: RotationDep, bot: TelegramBotDep) -> HTMLResponse:
    """Singing from a phone's browser: a name once, then search, request, my songs live, cancel, On my way."""
    state = await _show(rotation, code)
    if state is None:
        return _not_found(code)
    return _page(render(
        "join.html",
        name=state.name,
        code=state.code,
        telegram=render("join_telegram.html", link=telegram_link(bot, state.code), bot=bot.lstrip("@"))
        if bot else Markup(""),
        boot=json_script("boot", {"show_id": state.show_id, "code": state.code}),
    ))


async def _has_session(request: Request, services: ApiServices) -> bool:
    session = request.cookies.get(ADMIN_COOKIE, "")
    return bool(session) and await services.access.sessions.is_open(session)


def _login(state: ShowState, error: str = "", status: int = 200) -> HTMLResponse:
    return _page(render("kj_login.html", name=state.name,
                        code=state.code, action=f"/kj/{quote(state.code)}/login", error=error,
                        error_hidden=Markup("") if error else Markup("hidden")), status)


@router.get("/kj/{code}", response_class=HTMLResponse)
async def kj_dashboard(code: str, request: Request, services: ServicesDep) -> HTMLResponse:
    """The KJ dashboard, or its login form without the admin cookie."""
    state = await _show(services.rotation, code)
    if state is None:
        return _not_found(code)
    if not await _has_session(request, services):
        return _login(state)
    return _page(render(
        "kj.html",
        name=state.name,
        code=state.code,
        display=f"/display/{quote(state.code)}",
        songbook=f"/songbook/{quote(state.code)}",
        logout=f"/kj/{quote(state.code)}/logout",
        boot=json_script("boot", {"show_id": state.show_id, "code": state.code}),
    ))


@router.post("/kj/{code}/login", response_class=HTMLResponse)
async def kj_login(code: str, request: Request, services: ServicesDep) -> Response:
    """Check the admin token from the form; right: a new session's cookie and back to the dashboard, wrong:
    the form again. A client with too many wrong tokens gets the form with 429 and ``Retry-After``, unchecked."""
    state = await _show(services.rotation, code)
    if state is None:
        return _not_found(code)
    return await log_in(request, services, lambda error, status: _login(state, error, status),
                        f"/kj/{quote(state.code)}")


@router.post("/kj/{code}/logout")
async def kj_logout(code: str, request: Request, services: ServicesDep) -> Response:
    """End the dashboard's session on the server and forget its cookie."""
    session = request.cookies.get(ADMIN_COOKIE, "")
    if session:
        await services.access.sessions.end(session)
    state = await _show(services.rotation, code)
    target = f"/kj/{quote(state.code)}" if state else "/"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/kj/{code}/singers", dependencies=[AdminDep])
async def kj_singers(code: str, rotation: RotationDep) -> JSONResponse:
    """The show's singers with whether they are paused: the dashboard's Resume buttons need the paused ones."""
    state = await _show(rotation, code)
    if state is None:
        return JSONResponse({"error": {"code": "not-found", "message": "Show not found"}}, status_code=404)
    # Singers linked into another one (one person, two accounts) are that one now.
    singers = [state.singers[singer_id] for singer_id in state.rotation]
    items = [{"singer_id": s.singer_id, "name": s.name, "paused": s.paused, "blocked": s.singer_id in state.blocked}
             for s in singers]
    return JSONResponse({"items": items}, headers=_NO_STORE)
